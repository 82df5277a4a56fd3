// The test suites defined in other translation units, run by test_fdvjp.cpp's main.
#ifndef FDVJP_CPP_SUITES_HPP
#define FDVJP_CPP_SUITES_HPP

void run_accuracy_tests();
void run_tape_tests();
void run_parallel_tests();
void run_arithmetic_tests();
void run_report_tests();
void run_config_get_tests();

#endif
