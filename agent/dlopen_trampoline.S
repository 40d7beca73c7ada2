/*
 * The dlopen hook. glibc's dlopen looks at its return address to find the
 * calling module: its RPATH/RUNPATH and namespace decide where a bare library
 * name is searched. A C wrapper would make the agent the caller and change
 * which library gets loaded. So the hook only raises a flag and tail-jumps to
 * the real dlopen, which then sees the original caller. The new module's GOT is
 * patched by the next hooked call on any thread (refresh_hooks_if_needed) or by
 * the writer thread's next cycle, whichever comes first.
 * https://sourceware.org/git/?p=glibc.git;a=blob;f=dlfcn/dlopen.c (RETURN_ADDRESS)
 */
    .text
    .globl  leakspy_hooked_dlopen
    .hidden leakspy_hooked_dlopen
    .type   leakspy_hooked_dlopen, @function
leakspy_hooked_dlopen:
    .cfi_startproc
    movb    $1, leakspy_modules_dirty(%rip)
    jmp     *leakspy_real_dlopen(%rip)
    .cfi_endproc
    .size   leakspy_hooked_dlopen, . - leakspy_hooked_dlopen

    .section .note.GNU-stack, "", @progbits
