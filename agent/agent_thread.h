#pragma once
// The agent's own threads (the writer, the Python allocator worker): detached,
// blocking every signal (the target's signals are for the target's threads),
// named so that `top -H` shows what they are, and inside the reentrancy guard
// for their whole life (nothing they do is the target's doing).

namespace leakspy::agent {

// Starts `body` on a new agent thread; false if it could not be created.
// `name`: at most 15 characters.
bool start_agent_thread(const char* name, void (*body)());

}  // namespace leakspy::agent
