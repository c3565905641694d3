# L2TP codec fuzzer. The codec sources are compiled into the target so
# libFuzzer's coverage instrumentation reaches them; seeds live in corpus/l2tp_control/.
set(L2TP_CODEC_DIR ${CMAKE_SOURCE_DIR}/vpdn/codec)
vpdnd_add_fuzzer(NAME l2tp_control
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/l2tp/fuzz_l2tp_control.cpp
          ${L2TP_CODEC_DIR}/tables.cpp ${L2TP_CODEC_DIR}/control.cpp ${L2TP_CODEC_DIR}/header.cpp
          ${L2TP_CODEC_DIR}/hiding.cpp ${L2TP_CODEC_DIR}/describe.cpp
  LIBS vpdnd_common OpenSSL::Crypto)
