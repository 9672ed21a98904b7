// zerofleet-actor: `zerofleet actor` as its own binary (cmd_actor.cc).
#include "tools/zerofleet/commands.h"

int main(int argc, char** argv) { return zf::cli::RunMain(argc, argv, "actor"); }
