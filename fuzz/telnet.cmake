# The telnet byte stream under libFuzzer (owner: cli-front): the telnet codec, the login
# line reader and the shell's line editor, compiled into the target so that coverage and
# the sanitizers see them.
vpdnd_add_fuzzer(NAME telnet SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/telnet/fuzz_telnet.cpp
  ${CMAKE_SOURCE_DIR}/cli/front/telnet_codec.cpp ${CMAKE_SOURCE_DIR}/cli/front/io.cpp
  ${CMAKE_SOURCE_DIR}/cli/front/line_editor.cpp
  LIBS vpdnd_common)
