// zerofleet-learner: `zerofleet learner` as its own binary (cmd_learner.cc).
#include "tools/zerofleet/commands.h"

int main(int argc, char** argv) { return zf::cli::RunMain(argc, argv, "learner"); }
