# The telnet byte stream before login under libFuzzer (owner: cli-front): the telnet codec
# and the login line reader, compiled into the target so that coverage and the sanitizers
# see them.
vpdnd_add_fuzzer(NAME telnet SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/telnet/fuzz_telnet.cpp
  ${CMAKE_SOURCE_DIR}/cli/front/telnet_codec.cpp ${CMAKE_SOURCE_DIR}/cli/front/io.cpp
  LIBS vpdnd_common)
