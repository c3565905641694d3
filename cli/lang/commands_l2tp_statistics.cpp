// `reset l2tp statistics` (user view): the counters `display l2tp statistics` shows go back
// to zero, as Comware's reset statistics commands do; tunnels and sessions that are up stay.
#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {

void register_l2tp_statistics(Grammar& g) {
  root(g, View::user)
      .kw("reset", "Reset operation")
      .kw("l2tp", "L2TP")
      .kw("statistics", "Clear L2TP message, drop and total counters")
      .run([](Call& call) {
        auto& ctx = call.session.context();
        ctx.engine.call([&] {
          ctx.operations.reset_l2tp_statistics();
          return 0;
        });
      });
}

}  // namespace vpdnd::cli::lang
