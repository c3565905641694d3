# PPPoE discovery/session decoders and the AC's frame handling. The
# sources are compiled into the target (not linked from vpdnd_ppp_pppoe) so libFuzzer's
# coverage instrumentation sees the decoder branches.
vpdnd_add_fuzzer(NAME pppoe
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/pppoe/fuzz_pppoe.cpp
          ${CMAKE_SOURCE_DIR}/ppp/pppoe/codec.cpp
          ${CMAKE_SOURCE_DIR}/ppp/pppoe/server.cpp
          ${CMAKE_SOURCE_DIR}/ppp/pppoe/client.cpp
  LIBS vpdnd_common OpenSSL::Crypto)
target_include_directories(fuzz_pppoe PRIVATE ${CMAKE_SOURCE_DIR})
