#pragma once
// A hostile agent's session (hostile_protocol.c): connects to the recorder
// at `socket_address` ("@name" for an abstract socket), sends the good part
// and then the bad part `mode`, and reads until leakspy hangs up.
// Modes: kind heap node-zero node-max length count flood.
// Returns 0, or 2 (bad address or mode, no connection), 3 (leakspy hung up early).
int hostile_session(const char* socket_address, const char* mode);
