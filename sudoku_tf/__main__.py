from sudoku_tf.cli import cli

cli(prog_name="sudoku-tf")
