# SCCRQ flood against the L2TP engine over loopback (owner: l2tp-engine): reflection ratio in
# bytes and how long tunnels in setup live; prints its figures.
if(TARGET vpdnd_vpdn_engine)
  add_executable(l2tp_flood ${CMAKE_CURRENT_LIST_DIR}/l2tp_flood/main.cpp)
  target_link_libraries(l2tp_flood PRIVATE vpdnd_vpdn_engine)
endif()
