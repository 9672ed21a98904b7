// PUCT Monte-Carlo tree search over flat arrays, for one game. Implemented in search_tree.cc.
// Not thread-safe: one tree belongs to one self-play thread (many trees per thread).
//
// Storage: two pools, grown by push_back and reused across moves (no per-node allocation).
//
//   nodes_:      [ root | n1 | n2 | ... ]        Node: visits, in_flight, value_sum, edge range
//   edges_:      [ e e e e (root's) | e e (n1's) | ... ]   Edge: move (i16), prior (bf16)
//   edge_child_: [ c c . . (root's) | c . (n1's) | ... ]   child node index (i32), parallel to
//                                                          edges_; set only for touched edges
//
// 4-byte edges keep an expansion (one edge per legal move) cheap to write and cache-friendly.
// A node's edges are contiguous. The first `num_touched` edges have child nodes (visited or in
// flight); the rest are untouched, and edges[num_touched] always holds the highest prior among
// them. All untouched children share one first-play value, so the best of them is that one
// edge: selection scans only the touched prefix plus one edge, not every legal move.
//
// Values: Node::value_sum is from the view of the player who moved INTO the node. Virtual loss
// counts an in-flight visit as a loss for that player and is fully reverted at backup.
#ifndef ZEROFLEET_COMMON_SEARCH_SEARCH_TREE_H_
#define ZEROFLEET_COMMON_SEARCH_SEARCH_TREE_H_

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "common/game/encoded_position.h"
#include "common/game/game_state.h"
#include "common/search/search_options.h"
#include "common/util/pod_vector.h"

namespace zf {

class SearchTree {
 public:
  enum class LeafStatus {
    kNeedsEval,  // `leaf->position` must be evaluated, then passed to ApplyEvaluation
    kTerminal,   // reached a finished game; already backed up with its exact value
    kCollision,  // reached a leaf already waiting for evaluation; nothing changed
  };

  // A selected path; reuse one Leaf object across rounds to keep its buffer.
  struct Leaf {
    std::vector<int32_t> path;  // node indices, root first
    EncodedPosition position;
  };

  SearchTree(const SearchOptions& options, uint64_t seed);

  // Starts over at `root` (must not be terminal).
  void Reset(const GameState& root);
  const GameState& root_state() const { return root_state_; }

  // Walks from the root by PUCT to a leaf and applies virtual loss along the path.
  LeafStatus SelectLeaf(Leaf* leaf);
  // Expands the leaf with `policy` (n*n probabilities) and backs up `value` (for the leaf's
  // side to move), removing the virtual loss.
  void ApplyEvaluation(const Leaf& leaf, absl::Span<const float> policy, float value);

  // Mixes Dirichlet noise into the root priors now, or when the root is expanded.
  void AddRootNoise();

  int root_visits() const { return nodes_[0].visits; }
  // The root's value for its side to move, in [-1, 1].
  float RootValue() const;
  // (move, visits) of the root's children with visits > 0.
  std::vector<std::pair<int16_t, uint32_t>> RootVisits() const;
  // RootVisits() less the forced playouts the search would not have made by PUCT alone
  // (KataGo's policy target pruning; children left with one visit drop out). Equal to
  // RootVisits() when forced playouts are off or no noise was added at this root.
  std::vector<std::pair<int16_t, uint32_t>> PolicyTargetVisits() const;
  // Most visited move (temperature ~0) or a sample from PolicyTargetVisits()^(1/temperature).
  int ChooseMove(float temperature);
  // Plays `move` at the root; keeps its subtree when reuse_tree is set.
  void Advance(int move);

  // Pool sizes, for tests and benchmarks.
  size_t num_nodes() const { return nodes_.size(); }
  size_t num_edges() const { return edges_.size(); }
  // Sum of in-flight counts over all nodes (0 when no leaf is pending).
  int64_t TotalInFlight() const;

 private:
  enum class NodeState : uint8_t { kFresh, kPending, kExpanded, kTerminal };
  struct Node {
    int32_t first_edge = 0;
    int16_t num_edges = 0;
    int16_t num_touched = 0;
    int32_t visits = 0;
    int32_t in_flight = 0;
    float value_sum = 0;
    float terminal_value = 0;  // for kTerminal, from the view of the player who moved in
    NodeState state = NodeState::kFresh;
  };
  struct Edge {
    int16_t move;
    uint16_t prior;  // bfloat16: the top half of a float32
  };
  static uint16_t ToBf16(float f);
  static float FromBf16(uint16_t b);

  int32_t NewNode();
  // Picks the edge index (relative to the node's first edge) with the highest PUCT score.
  int SelectEdge(const Node& node, bool is_root) const;
  // Swaps the highest-prior untouched edge of `node` into position num_touched.
  void PromoteBestUntouched(const Node& node);
  void Backup(absl::Span<const int32_t> path, float leaf_value, bool remove_virtual_loss);
  void ApplyNoiseToRoot();
  // sqrt(k * prior * parent visits): the visits a noised root child is owed.
  float ForcedVisits(float prior, int parent_visits) const;
  // Copies the subtree at `src` into the spare pools; returns its index there.
  int32_t CopySubtree(int32_t src);

  SearchOptions options_;
  std::mt19937_64 rng_;
  GameState root_state_;
  GameState walk_state_;  // scratch for SelectLeaf
  bool noise_pending_ = false;
  bool forced_active_ = false;  // root noise is in and options_.forced_playouts > 0
  PodVector<Node> nodes_;
  PodVector<Edge> edges_;
  PodVector<int32_t> edge_child_;
  // Advance copies the kept subtree here and swaps; both sets keep their capacity.
  PodVector<Node> spare_nodes_;
  PodVector<Edge> spare_edges_;
  PodVector<int32_t> spare_edge_child_;
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_SEARCH_SEARCH_TREE_H_
