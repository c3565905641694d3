// DOC: the small toolbox every module may use: bounded bytes, Result, time and timers,
// the log bus and the protocol thread. It depends on no other module.
#pragma once

#include "common/bytes.hpp"
#include "common/ipv4.hpp"
#include "common/log.hpp"
#include "common/printable.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"
