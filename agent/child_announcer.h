#pragma once
// Tells the recorder about a child process that is not recorded (a program a
// child started, or a fork that did not exec), so that the recording can say
// what it missed: connect, one hello (wire::kHelloNotRecorded), hang up.
// Async-signal-safe (raw system calls, no allocation): the fork case runs in
// the child between fork and whatever it does next. Never blocks for long:
// the recorder's listen backlog takes the connection at once.

namespace leakspy::agent {

// Remembers where the recorder listens (the session's address). Not
// async-signal-safe; call before any fork can happen.
void remember_recorder_address(const char* address);
// The address remembered ("" before any).
const char* remembered_recorder_address();
// Announces the calling process as an unrecorded child.
void announce_unrecorded_child(bool forked);

}  // namespace leakspy::agent
