"""A LearnerService client built from the .proto files alone (python3-grpcio + protoc --python_out).

usage: python_learner_client.py PROTOC PROTO_DIR PORT GAMES_FILE
Against a zerofleet-learner started with --board-size 7 --win-length 4 (a fresh run dir) and
GAMES_FILE, a .zfgr file of >= 2 games of those rules (zerofleet selfplay --out), calls:
  GetRunConfig                 the run's rules, with a deadline
  WatchModel(-1)               every chunk of version 0: sha256 and total_bytes of the whole file
  WatchModel(-5)               status INVALID_ARGUMENT
  SubmitGames                  on ONE stream: 2 games, the same again (2 duplicates), an empty
                               request and a garbage record (acks with error code 3), then 1 more
                               game to show the stream is still usable
  grpc.health.v1.Health/Check  SERVING for the service
Every call has a deadline. Prints OK; any failure exits non-zero with a one-line reason.
"""
import hashlib
import os
import queue
import struct
import subprocess
import sys
import tempfile
import zlib

DEADLINE_S = 20
INVALID_ARGUMENT = 3  # google.rpc.Code


def fail(message):
    sys.exit("python_learner_client: FAILED: " + message)


def check(condition, message):
    if not condition:
        fail(message)


if len(sys.argv) != 5:
    fail("usage: python_learner_client.py PROTOC PROTO_DIR PORT GAMES_FILE")
protoc, proto_dir, port, games_file = sys.argv[1:]
out = tempfile.mkdtemp()
subprocess.run([protoc, "--proto_path=" + proto_dir, "--python_out=" + out,
                "zerofleet/v1/common.proto", "zerofleet/v1/learner.proto"],
               check=True, cwd=proto_dir)
sys.path.insert(0, out)

import grpc  # noqa: E402
from zerofleet.v1 import common_pb2, learner_pb2  # noqa: E402


def one_line_rpc_errors(kind, value, traceback):
    """An unexpected failed call: one line naming the status, not a traceback (exit code 1)."""
    if not isinstance(value, grpc.RpcError) or not hasattr(value, "code"):
        sys.__excepthook__(kind, value, traceback)
        return
    line = 0
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == __file__:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    sys.stderr.write("python_learner_client: FAILED: call at line %d: %s %s\n" % (
        line, value.code(), value.details()))


sys.excepthook = one_line_rpc_errors


def read_records(path):
    """The record payloads of a .zfgr file (common/game/game_record.h), checksums checked."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:4] == b"ZFGR", path + ": bad magic")
    check(len(data) >= 8, path + ": truncated header")
    (version,) = struct.unpack_from("<I", data, 4)
    check(version == 1, "%s: unsupported version %d" % (path, version))
    pos, records = 8, []
    while pos < len(data):
        check(pos + 8 <= len(data), path + ": truncated frame header")
        length, crc = struct.unpack_from("<II", data, pos)
        payload = data[pos + 8:pos + 8 + length]
        check(len(payload) == length, path + ": truncated frame")
        check(zlib.crc32(payload) == crc, path + ": checksum mismatch")
        records.append(payload)
        pos += 8 + length
    return records


records = read_records(games_file)
check(len(records) >= 2, "%s holds %d records, need 2" % (games_file, len(records)))

channel = grpc.insecure_channel("127.0.0.1:" + port)
try:
    grpc.channel_ready_future(channel).result(timeout=DEADLINE_S)
except grpc.FutureTimeoutError:
    fail("no connection to 127.0.0.1:%s in %d s" % (port, DEADLINE_S))

service = "/zerofleet.v1.LearnerService/"
get_run_config = channel.unary_unary(
    service + "GetRunConfig",
    request_serializer=learner_pb2.GetRunConfigRequest.SerializeToString,
    response_deserializer=learner_pb2.RunConfig.FromString)
submit_games = channel.stream_stream(
    service + "SubmitGames",
    request_serializer=learner_pb2.SubmitGamesRequest.SerializeToString,
    response_deserializer=learner_pb2.SubmitGamesAck.FromString)
watch_model = channel.unary_stream(
    service + "WatchModel",
    request_serializer=learner_pb2.WatchModelRequest.SerializeToString,
    response_deserializer=learner_pb2.ModelChunk.FromString)

# --- GetRunConfig --------------------------------------------------------------------------
config = get_run_config(learner_pb2.GetRunConfigRequest(actor_id="python-client"),
                        timeout=DEADLINE_S)
check(config.rules.board_size == 7 and config.rules.win_length == 4,
      "GetRunConfig: rules %dx%d k=%d, want 7x7 k=4" % (
          config.rules.board_size, config.rules.board_size, config.rules.win_length))
check(config.rules.rule == common_pb2.RULE_FREESTYLE, "GetRunConfig: rule %d" % config.rules.rule)
check(config.search.simulations == 16, "GetRunConfig: %d sims, want 16" % config.search.simulations)
check(config.net.blocks > 0 and config.net.channels > 0, "GetRunConfig: no net: %s" % config.net)
check(config.parallel_games > 0, "GetRunConfig: parallel_games 0")
check(config.run_id != "", "GetRunConfig: empty run_id")
# An opaque id: random hex, never the run directory's path.
check(all(c in "0123456789abcdef" for c in config.run_id),
      "GetRunConfig: run_id %r is not an opaque hex id" % config.run_id)
check(config.model_version == 0, "GetRunConfig: model_version %d on a fresh run" %
      config.model_version)

# --- WatchModel(-1): version 0, first, before games could let training publish a newer one ---
call = watch_model(learner_pb2.WatchModelRequest(have_version=-1), timeout=DEADLINE_S)
chunks = []
for chunk in call:
    check(chunk.chunk_index == len(chunks), "WatchModel: chunk %d arrived as number %d" % (
        chunk.chunk_index, len(chunks)))
    chunks.append(chunk)
    if chunk.chunk_index + 1 == chunk.total_chunks:
        break
call.cancel()  # the stream waits for newer versions; the client ends it
check(chunks and chunks[-1].chunk_index + 1 == chunks[-1].total_chunks,
      "WatchModel: the stream ended after %d chunks, before the last" % len(chunks))
first = chunks[0]
check(first.version == 0, "WatchModel(-1): version %d, want 0" % first.version)
for c in chunks:
    check((c.version, c.sha256, c.total_bytes, c.total_chunks) ==
          (first.version, first.sha256, first.total_bytes, first.total_chunks),
          "WatchModel: chunk %d disagrees with chunk 0 on version/sha256/size" % c.chunk_index)
    check(len(c.data) < 4 << 20, "WatchModel: chunk %d over 4 MiB" % c.chunk_index)
model = b"".join(c.data for c in chunks)
check(len(model) == first.total_bytes, "WatchModel: %d bytes, total_bytes says %d" % (
    len(model), first.total_bytes))
check(hashlib.sha256(model).hexdigest() == first.sha256,
      "WatchModel: sha256 %s, chunks say %s" % (hashlib.sha256(model).hexdigest(), first.sha256))
# The model file itself (common/nn/model_file.h): magic, version, trailing CRC-32.
check(model[:4] == b"ZFNN", "WatchModel: model file without the ZFNN magic")
(file_version,) = struct.unpack_from("<q", model, 24)
check(file_version == first.version, "WatchModel: model file says version %d" % file_version)
(crc,) = struct.unpack_from("<I", model, len(model) - 4)
check(zlib.crc32(model[:-4]) == crc, "WatchModel: model file CRC-32 mismatch")

# --- WatchModel(-5): not a version ------------------------------------------------------------
try:
    for _ in watch_model(learner_pb2.WatchModelRequest(have_version=-5), timeout=DEADLINE_S):
        fail("WatchModel(-5) sent a chunk")
    fail("WatchModel(-5) ended with OK")
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.INVALID_ARGUMENT,
          "WatchModel(-5): %s %s, want INVALID_ARGUMENT" % (e.code(), e.details()))
    check("-5" in e.details(), "WatchModel(-5): message does not name -5: " + e.details())

# --- SubmitGames: one stream, one request at a time -----------------------------------------
requests = queue.Queue()


def request_stream():
    while True:
        request = requests.get()
        if request is None:
            return
        yield request


acks = submit_games(request_stream(), timeout=60)


def submit(games):
    """Sends one request on the open stream and returns its ack."""
    requests.put(learner_pb2.SubmitGamesRequest(games=games))
    try:
        return next(acks)
    except StopIteration:
        fail("SubmitGames: the stream ended instead of acking")
    except grpc.RpcError as e:
        fail("SubmitGames: the stream failed: %s %s" % (e.code(), e.details()))


prefix = "py-%d-" % os.getpid()  # unique ids, so a first submit has no duplicates
games = [learner_pb2.Game(game_id=prefix + str(i), model_version=0, record=records[i])
         for i in range(2)]
ids = [g.game_id for g in games]

ack = submit(games)
check(ack.error.code == 0, "SubmitGames: 2 valid games rejected: %s" % ack.error)
check(list(ack.game_ids) == ids and ack.duplicates == 0,
      "SubmitGames: ack %s %d duplicates, want %s and 0" % (list(ack.game_ids), ack.duplicates, ids))

ack = submit(games)
check(ack.error.code == 0, "SubmitGames: resent games rejected: %s" % ack.error)
check(list(ack.game_ids) == ids and ack.duplicates == 2,
      "SubmitGames: resent ack %s %d duplicates, want %s and 2" % (
          list(ack.game_ids), ack.duplicates, ids))

ack = submit([])
check(ack.error.code == INVALID_ARGUMENT,
      "SubmitGames: empty request: error %s, want code 3" % ack.error)
check(ack.error.message != "" and not ack.game_ids, "SubmitGames: empty request ack %s" % ack)

bad_id = prefix + "garbage"
ack = submit([learner_pb2.Game(game_id=bad_id, record=b"\x01garbage")])
check(ack.error.code == INVALID_ARGUMENT,
      "SubmitGames: garbage record: error %s, want code 3" % ack.error)
check(bad_id in ack.error.message,
      "SubmitGames: garbage error does not name %s: %s" % (bad_id, ack.error.message))
check(not ack.game_ids, "SubmitGames: garbage record acked: %s" % list(ack.game_ids))

# Still usable after the rejected requests: a new game is stored.
extra = records[2] if len(records) > 2 else records[0]
ack = submit([learner_pb2.Game(game_id=prefix + "after", model_version=0, record=extra)])
check(ack.error.code == 0 and list(ack.game_ids) == [prefix + "after"] and ack.duplicates == 0,
      "SubmitGames: the stream is not usable after errors: %s" % ack)

requests.put(None)  # half-close; the server ends the call with OK
for extra_ack in acks:
    fail("SubmitGames: an ack without a request: %s" % extra_ack)
check(acks.code() == grpc.StatusCode.OK, "SubmitGames ended with %s" % acks.code())

# --- Health -----------------------------------------------------------------------------------
try:
    from grpc_health.v1 import health_pb2

    check_health = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString)
    for name in ("", "zerofleet.v1.LearnerService"):
        status = check_health(health_pb2.HealthCheckRequest(service=name), timeout=DEADLINE_S)
        check(status.status == health_pb2.HealthCheckResponse.SERVING,
              "health of '%s': %s" % (name, status))
except ImportError:
    # No grpc_health module: the same call on the wire format of grpc/health/v1/health.proto
    # (HealthCheckRequest.service = field 1; HealthCheckResponse.status = field 1, SERVING = 1).
    identity = lambda b: b  # noqa: E731
    check_health = channel.unary_unary("/grpc.health.v1.Health/Check",
                                       request_serializer=identity,
                                       response_deserializer=identity)
    for name in (b"", b"zerofleet.v1.LearnerService"):
        request = b"\x0a" + bytes([len(name)]) + name if name else b""
        status = check_health(request, timeout=DEADLINE_S)
        check(status == b"\x08\x01", "health of '%s': %r, not SERVING" % (name.decode(), status))

channel.close()
print("OK")
