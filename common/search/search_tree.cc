#include "common/search/search_tree.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

namespace zf {

SearchTree::SearchTree(const SearchOptions& options, uint64_t seed)
    : options_(options), rng_(seed), root_state_(Rules{}), walk_state_(Rules{}) {
  nodes_.Reserve(1024);
  edges_.Reserve(64 * 1024);
  edge_child_.Reserve(64 * 1024);
}

uint16_t SearchTree::ToBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  bits += 0x7fff + ((bits >> 16) & 1);  // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

float SearchTree::FromBf16(uint16_t b) {
  const uint32_t bits = uint32_t{b} << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

void SearchTree::Reset(const GameState& root) {
  root_state_ = root;
  nodes_.clear();
  edges_.clear();
  edge_child_.clear();
  forced_active_ = false;
  NewNode();
}

int32_t SearchTree::NewNode() {
  const size_t index = nodes_.Grow(1);
  nodes_[index] = Node{};
  return static_cast<int32_t>(index);
}

int64_t SearchTree::TotalInFlight() const {
  int64_t total = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) total += nodes_[i].in_flight;
  return total;
}

int SearchTree::SelectEdge(const Node& node, bool is_root) const {
  const Edge* edges = edges_.data() + node.first_edge;
  const int32_t* children = edge_child_.data() + node.first_edge;
  const float sqrt_n = std::sqrt(static_cast<float>(std::max(1, node.visits + node.in_flight)));
  const float c_sqrt_n = options_.c_puct * sqrt_n;
  // The parent's value for the player choosing here (node.value_sum is the other player's).
  const float parent_q = node.visits > 0 ? -node.value_sum / node.visits : 0.0f;
  float visited_mass = 0;
  int best = -1;
  float best_score = -1e30f;
  for (int i = 0; i < node.num_touched; ++i) {
    const Node& child = nodes_[children[i]];
    const int n = child.visits + child.in_flight;
    const float prior = FromBf16(edges[i].prior);
    if (child.visits > 0) visited_mass += prior;
    assert(n > 0 && "a touched child is visited or in flight");
    if (n == 0) continue;
    if (is_root && forced_active_ && n < ForcedVisits(prior, node.visits)) return i;
    const float q = (child.value_sum - child.in_flight) / n;
    const float score = q + c_sqrt_n * prior / (1 + n);
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  const float reduction = is_root ? options_.root_fpu_reduction : options_.fpu_reduction;
  const float fpu = parent_q - reduction * std::sqrt(visited_mass);
  if (node.num_touched < node.num_edges) {
    const float score = fpu + c_sqrt_n * FromBf16(edges[node.num_touched].prior);
    if (score > best_score) best = node.num_touched;
  }
  assert(best >= 0 && "an expanded node has a legal move");
  return best;
}

void SearchTree::PromoteBestUntouched(const Node& node) {
  Edge* edges = edges_.data() + node.first_edge;
  int best = node.num_touched;
  // bf16 priors are non-negative, so their bit patterns order like the values.
  for (int i = node.num_touched + 1; i < node.num_edges; ++i) {
    if (edges[i].prior > edges[best].prior) best = i;
  }
  if (best < node.num_edges) std::swap(edges[best], edges[node.num_touched]);
#ifndef NDEBUG
  for (int i = node.num_touched + 1; i < node.num_edges; ++i) {
    assert(edges[i].prior <= edges[node.num_touched].prior && "best untouched edge first");
  }
#endif
}

SearchTree::LeafStatus SearchTree::SelectLeaf(Leaf* leaf) {
  leaf->path.clear();
  walk_state_ = root_state_;
  int32_t current = 0;
  leaf->path.push_back(0);
  while (true) {
    Node& node = nodes_[current];
    if (node.state == NodeState::kPending) return LeafStatus::kCollision;
    if (node.state == NodeState::kTerminal) {
      Backup(leaf->path, -node.terminal_value, /*remove_virtual_loss=*/false);
      return LeafStatus::kTerminal;
    }
    if (node.state == NodeState::kFresh) {
      if (walk_state_.IsTerminal()) {
        node.state = NodeState::kTerminal;
        // The player who moved in made the last move: a win for them, or a draw.
        node.terminal_value = walk_state_.outcome() == Outcome::kDraw ? 0.0f : 1.0f;
        Backup(leaf->path, -node.terminal_value, /*remove_virtual_loss=*/false);
        return LeafStatus::kTerminal;
      }
      node.state = NodeState::kPending;
      for (int32_t idx : leaf->path) ++nodes_[idx].in_flight;
      leaf->position = Encode(walk_state_);
      return LeafStatus::kNeedsEval;
    }
    // Expanded: descend.
    const int pick = SelectEdge(node, current == 0);
    if (pick == node.num_touched) {
      const int32_t child = NewNode();  // may reallocate nodes_: `node` is stale after this
      Node& parent = nodes_[current];
      edge_child_[parent.first_edge + pick] = child;
      ++parent.num_touched;
      PromoteBestUntouched(parent);
    }
    const int32_t edge = nodes_[current].first_edge + pick;
    walk_state_.PlayUnchecked(edges_[edge].move);
    current = edge_child_[edge];
    leaf->path.push_back(current);
  }
}

void SearchTree::ApplyEvaluation(const Leaf& leaf, absl::Span<const float> policy, float value) {
  const int32_t index = leaf.path.back();
  assert(nodes_[index].state == NodeState::kPending && "each leaf is evaluated once");
  const EncodedPosition& pos = leaf.position;
  const int points = pos.size * pos.size;
  // One pass: an edge per empty point, tracking the prior sum and the best edge.
  const int32_t first = static_cast<int32_t>(edges_.size());
  edges_.Grow(points);  // upper bound; shrunk below
  edge_child_.Grow(points);
  Edge* out = edges_.data() + first;
  int count = 0;
  int best = 0;
  float sum = 0;
  for (int w = 0; w < kPlaneWords && w * 64 < points; ++w) {
    uint64_t empty = ~(pos.own[w] | pos.opp[w]);
    if (points - w * 64 < 64) empty &= (uint64_t{1} << (points - w * 64)) - 1;
    while (empty) {
      const int p = w * 64 + __builtin_ctzll(empty);
      empty &= empty - 1;
      const float prior = policy[p];
      sum += prior;
      out[count] = Edge{static_cast<int16_t>(p), ToBf16(prior)};
      if (out[count].prior > out[best].prior) best = count;
      ++count;
    }
  }
  edges_.Shrink(first + count);
  edge_child_.Shrink(first + count);
  // Evaluators return probabilities over the empty points; renormalise only if they did not
  // (e.g. all mass on occupied points), falling back to uniform.
  if (!(std::fabs(sum - 1.0f) < 1e-3f)) {
    for (int i = 0; i < count; ++i) {
      out[i].prior = ToBf16(sum > 0 ? policy[out[i].move] / sum : 1.0f / count);
    }
    best = 0;
    for (int i = 1; i < count; ++i) {
      if (out[i].prior > out[best].prior) best = i;
    }
  }
  std::swap(out[0], out[best]);
  Node& node = nodes_[index];
  node.first_edge = first;
  node.num_edges = static_cast<int16_t>(count);
  node.num_touched = 0;
  node.state = NodeState::kExpanded;
  if (index == 0 && noise_pending_) ApplyNoiseToRoot();
  Backup(leaf.path, value, /*remove_virtual_loss=*/true);
}

void SearchTree::Backup(absl::Span<const int32_t> path, float leaf_value,
                        bool remove_virtual_loss) {
  // leaf_value is for the leaf's side to move; the leaf node stores the mover's view.
  float v = -leaf_value;
  for (size_t i = path.size(); i-- > 0;) {
    Node& n = nodes_[path[i]];
    ++n.visits;
    n.value_sum += v;
    if (remove_virtual_loss) --n.in_flight;
    assert(n.in_flight >= 0 && "virtual loss removed once per pending leaf");
    v = -v;
  }
}

void SearchTree::AddRootNoise() {
  noise_pending_ = true;
  if (nodes_[0].state == NodeState::kExpanded) ApplyNoiseToRoot();
}

void SearchTree::ApplyNoiseToRoot() {
  noise_pending_ = false;
  Node& root = nodes_[0];
  if (root.num_edges <= 1 || options_.dirichlet_weight <= 0) return;
  const float alpha = options_.dirichlet_alpha > 0 ? options_.dirichlet_alpha
                                                   : 10.0f / static_cast<float>(root.num_edges);
  std::gamma_distribution<float> gamma(alpha, 1.0f);
  Edge* edges = edges_.data() + root.first_edge;
  float noise[kMaxPoints];
  float total = 0;
  for (int i = 0; i < root.num_edges; ++i) total += noise[i] = gamma(rng_);
  if (total <= 0) return;
  const float w = options_.dirichlet_weight;
  for (int i = 0; i < root.num_edges; ++i) {
    edges[i].prior = ToBf16((1 - w) * FromBf16(edges[i].prior) + w * noise[i] / total);
  }
  PromoteBestUntouched(root);
  forced_active_ = options_.forced_playouts > 0;
}

float SearchTree::ForcedVisits(float prior, int parent_visits) const {
  return std::sqrt(options_.forced_playouts * prior * static_cast<float>(parent_visits));
}

float SearchTree::RootValue() const {
  const Node& root = nodes_[0];
  return root.visits > 0 ? -root.value_sum / root.visits : 0.0f;
}

std::vector<std::pair<int16_t, uint32_t>> SearchTree::RootVisits() const {
  std::vector<std::pair<int16_t, uint32_t>> out;
  const Node& root = nodes_[0];
  for (int i = 0; i < root.num_touched; ++i) {
    const int32_t e = root.first_edge + i;
    const int visits = nodes_[edge_child_[e]].visits;
    if (visits > 0) out.emplace_back(edges_[e].move, static_cast<uint32_t>(visits));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<int16_t, uint32_t>> SearchTree::PolicyTargetVisits() const {
  const Node& root = nodes_[0];
  if (!forced_active_ || root.state != NodeState::kExpanded) return RootVisits();
  const Edge* edges = edges_.data() + root.first_edge;
  const int32_t* children = edge_child_.data() + root.first_edge;
  int best = -1;
  for (int i = 0; i < root.num_touched; ++i) {
    if (best < 0 || nodes_[children[i]].visits > nodes_[children[best]].visits) best = i;
  }
  if (best < 0 || nodes_[children[best]].visits == 0) return RootVisits();
  const float c_sqrt_n = options_.c_puct * std::sqrt(static_cast<float>(root.visits));
  const Node& best_child = nodes_[children[best]];
  const float best_puct = best_child.value_sum / best_child.visits +
                          c_sqrt_n * FromBf16(edges[best].prior) / (1 + best_child.visits);
  std::vector<std::pair<int16_t, uint32_t>> out;
  for (int i = 0; i < root.num_touched; ++i) {
    const Node& child = nodes_[children[i]];
    if (child.visits == 0) continue;
    float kept = static_cast<float>(child.visits);
    if (i != best) {
      // Fewest visits at which PUCT would still not prefer this child over the best one,
      // but no fewer than its visits less what it was owed.
      const float prior = FromBf16(edges[i].prior);
      const float floor = kept - ForcedVisits(prior, root.visits);
      const float gap = best_puct - child.value_sum / child.visits;
      const float needed = gap > 0 ? c_sqrt_n * prior / gap - 1 : kept;
      kept = std::min(kept, std::max(floor, std::ceil(needed)));
      if (kept <= 1) continue;  // forced exploration only: not a target
    }
    out.emplace_back(edges[i].move, static_cast<uint32_t>(kept));
  }
  std::sort(out.begin(), out.end());
  return out;
}

int SearchTree::ChooseMove(float temperature) {
  const std::vector<std::pair<int16_t, uint32_t>> visits = PolicyTargetVisits();
  if (visits.empty()) {
    // Unsearched root: the highest prior (or, unexpanded, the first legal move).
    const Node& root = nodes_[0];
    if (root.state == NodeState::kExpanded) return edges_[root.first_edge].move;  // best prior
    int16_t moves[kMaxPoints];
    return root_state_.LegalMoves(absl::MakeSpan(moves)) > 0 ? moves[0] : kNoMove;
  }
  if (temperature < 0.01f) {
    auto best = std::max_element(visits.begin(), visits.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    return best->first;
  }
  std::vector<double> weights(visits.size());
  const double inv_t = 1.0 / temperature;
  const double max_v = std::max_element(visits.begin(), visits.end(), [](auto& a, auto& b) {
                         return a.second < b.second;
                       })->second;
  for (size_t i = 0; i < visits.size(); ++i) weights[i] = std::pow(visits[i].second / max_v, inv_t);
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  return visits[pick(rng_)].first;
}

int32_t SearchTree::CopySubtree(int32_t src) {
  const int32_t dst = static_cast<int32_t>(spare_nodes_.Grow(1));
  const Node& s = nodes_[src];
  spare_nodes_[dst] = s;
  if (s.state != NodeState::kExpanded) return dst;
  const int32_t first = static_cast<int32_t>(spare_edges_.size());
  spare_edges_.Append(edges_.data() + s.first_edge, s.num_edges);
  spare_edge_child_.Grow(s.num_edges);
  spare_nodes_[dst].first_edge = first;
  for (int i = 0; i < s.num_touched; ++i) {
    const int32_t child = CopySubtree(edge_child_[s.first_edge + i]);
    spare_edge_child_[first + i] = child;
  }
  return dst;
}

void SearchTree::Advance(int move) {
  root_state_.PlayUnchecked(move);
  noise_pending_ = false;
  forced_active_ = false;
  const Node& root = nodes_[0];
  int32_t child = -1;
  for (int i = 0; i < root.num_touched; ++i) {
    if (edges_[root.first_edge + i].move == move) child = edge_child_[root.first_edge + i];
  }
  if (!options_.reuse_tree || child < 0 || nodes_[child].state != NodeState::kExpanded) {
    nodes_.clear();
    edges_.clear();
    edge_child_.clear();
    NewNode();
    return;
  }
  spare_nodes_.clear();
  spare_edges_.clear();
  spare_edge_child_.clear();
  CopySubtree(child);
  nodes_.swap(spare_nodes_);
  edges_.swap(spare_edges_);
  edge_child_.swap(spare_edge_child_);
}

}  // namespace zf
