#pragma once
// Force-included into every agent source (agent/CMakeLists.txt). The agent
// is loaded into programs built against any glibc since 2.17, yet it is built
// against the host's: without these, the linker binds the newest version of
// each symbol (dlopen@GLIBC_2.34, pthread_create@GLIBC_2.34, ...) and an
// older glibc refuses to load the agent. Each symbol below is bound to the
// oldest version glibc has; before 2.34 those definitions live in libdl.so.2
// and libpthread.so.0, which the agent therefore names as needed libraries.
// Check with `objdump -T libleakspy_agent.so | grep GLIBC_2.[23][0-9]`: the
// newest version left must be at most 2.17 (clock_gettime).

#include <features.h>  // defines __GLIBC__, for the test below

#if defined(__x86_64__) && defined(__GLIBC__)
#define LEAKSPY_SYMBOL_VERSION(symbol, version) __asm__(".symver " #symbol "," #symbol "@" #version)
#define LEAKSPY_OLDEST_VERSION(symbol) LEAKSPY_SYMBOL_VERSION(symbol, GLIBC_2.2.5)
LEAKSPY_OLDEST_VERSION(dlopen);
LEAKSPY_OLDEST_VERSION(dlclose);
LEAKSPY_OLDEST_VERSION(dlsym);
LEAKSPY_OLDEST_VERSION(dlerror);
LEAKSPY_OLDEST_VERSION(dladdr);
LEAKSPY_SYMBOL_VERSION(dladdr1, GLIBC_2.3.3);
LEAKSPY_OLDEST_VERSION(pthread_create);
LEAKSPY_OLDEST_VERSION(pthread_key_create);
LEAKSPY_OLDEST_VERSION(pthread_setspecific);
LEAKSPY_OLDEST_VERSION(pthread_getspecific);
LEAKSPY_OLDEST_VERSION(pthread_attr_getstack);
LEAKSPY_OLDEST_VERSION(pthread_getattr_np);
LEAKSPY_OLDEST_VERSION(pthread_sigmask);
LEAKSPY_SYMBOL_VERSION(pthread_setname_np, GLIBC_2.12);
LEAKSPY_OLDEST_VERSION(pthread_join);
LEAKSPY_OLDEST_VERSION(pthread_detach);
LEAKSPY_OLDEST_VERSION(pthread_once);
LEAKSPY_OLDEST_VERSION(pthread_kill);
LEAKSPY_OLDEST_VERSION(pthread_mutex_trylock);
LEAKSPY_OLDEST_VERSION(pthread_attr_setstacksize);
#undef LEAKSPY_OLDEST_VERSION
#undef LEAKSPY_SYMBOL_VERSION
#endif
