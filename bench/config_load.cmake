# Time to load a big startup config through the file session (every line one command).
add_executable(config_load_bench ${CMAKE_CURRENT_LIST_DIR}/config_load/config_load_bench.cpp)
target_link_libraries(config_load_bench PRIVATE vpdnd_cli_lang)
