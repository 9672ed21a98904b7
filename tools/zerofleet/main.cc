// zerofleet: the user-facing CLI (commands in dispatch.cc).
#include "tools/zerofleet/commands.h"

int main(int argc, char** argv) { return zf::cli::RunMain(argc, argv); }
