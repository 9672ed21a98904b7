// zerofleet-inference-server: `zerofleet inference-server` as its own binary
// (cmd_inference_server.cc).
#include "tools/zerofleet/commands.h"

int main(int argc, char** argv) { return zf::cli::RunMain(argc, argv, "inference-server"); }
