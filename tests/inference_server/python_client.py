"""A zerofleet client built from the .proto files alone (python3-grpcio + protoc --python_out).

usage: python_client.py PROTOC PROTO_DIR PORT
Calls InferenceService.Evaluate (a good and a rejected request), the health check and
reflection on a zerofleet-inference-server started with --board-size 15; prints OK.
"""
import os
import struct
import subprocess
import sys
import tempfile

protoc, proto_dir, port = sys.argv[1], sys.argv[2], sys.argv[3]
out = tempfile.mkdtemp()
subprocess.run([protoc, "--proto_path=" + proto_dir, "--python_out=" + out,
                "zerofleet/v1/common.proto", "zerofleet/v1/inference.proto",
                "zerofleet/v1/learner.proto"], check=True, cwd=proto_dir)
sys.path.insert(0, out)

import grpc  # noqa: E402
from zerofleet.v1 import common_pb2, inference_pb2, learner_pb2  # noqa: E402,F401


def packed(n, to_move, last, own, opp):
    plane = (n * n + 7) // 8
    b = bytearray(3 + 2 * plane)
    b[0] = to_move
    b[1], b[2] = last & 0xFF, last >> 8
    for p in own:
        b[3 + p // 8] |= 1 << (p % 8)
    for p in opp:
        b[3 + plane + p // 8] |= 1 << (p % 8)
    return bytes(b)


channel = grpc.insecure_channel("127.0.0.1:" + port)
grpc.channel_ready_future(channel).result(timeout=10)

evaluate = channel.stream_stream(
    "/zerofleet.v1.InferenceService/Evaluate",
    request_serializer=inference_pb2.EvaluateRequest.SerializeToString,
    response_deserializer=inference_pb2.EvaluateResponse.FromString)
good = inference_pb2.EvaluateRequest(
    request_id=41, board_size=15, win_length=5, rule=common_pb2.RULE_FREESTYLE, count=2,
    positions=packed(15, 0, 0xFFFF, [], []) + packed(15, 1, 112, [], [112]))
wrong_size = inference_pb2.EvaluateRequest(
    request_id=42, board_size=9, win_length=5, count=1, positions=packed(9, 0, 0xFFFF, [], []))
responses = {r.request_id: r for r in evaluate(iter([good, wrong_size]), timeout=10)}

r = responses[41]
assert r.error.code == 0, r.error
assert len(r.value) == 2, r.value
assert len(r.policy) == 2 * 225 * 2, len(r.policy)
policy = struct.unpack("<450e", r.policy)
assert abs(sum(policy[:225]) - 1) < 0.01, sum(policy[:225])
assert abs(sum(policy[225:]) - 1) < 0.01, sum(policy[225:])
assert policy[225 + 112] == 0, "occupied point has a prior"
assert responses[42].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0], responses[42]
assert "board size" in responses[42].error.message

identity = lambda b: b  # noqa: E731
health = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=identity,
                             response_deserializer=identity)
assert health(b"", timeout=10) == b"\x08\x01", "not SERVING"

reflection = channel.stream_stream(
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    request_serializer=identity, response_deserializer=identity)
listing = b"".join(reflection(iter([b"\x3a\x00"]), timeout=10))  # list_services: ""
assert b"zerofleet.v1.InferenceService" in listing, listing
assert b"grpc.health.v1.Health" in listing, listing
# Only what this server serves is listed (the learner's schema is in the binary, and public in
# proto/, but its service is not offered here).
assert b"LearnerService" not in listing, listing
print("OK")
