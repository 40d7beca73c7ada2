/*
 * The dlopen hook. glibc's dlopen looks at its return address to find the
 * calling module: for a bare library name (and for $ORIGIN in a path) that
 * module's RPATH/RUNPATH and namespace decide what gets loaded.
 * https://sourceware.org/git/?p=glibc.git;a=blob;f=dlfcn/dlopen.c (RETURN_ADDRESS)
 *
 * - A path without '$': the search does not depend on the caller, so the
 *   agent calls dlopen itself and patches the new modules before returning
 *   (leakspy_dlopen_and_patch): their first allocations are seen.
 * - Otherwise the hook only raises a flag and tail-jumps to the real dlopen,
 *   which then sees the original caller. The new modules are patched by the
 *   next hooked call on any thread, or the writer thread's next cycle.
 */
    .text
    .globl  leakspy_hooked_dlopen
    .hidden leakspy_hooked_dlopen
    .type   leakspy_hooked_dlopen, @function
leakspy_hooked_dlopen:
    .cfi_startproc
    push    %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    mov     %rsp, %rbp
    .cfi_def_cfa_register %rbp
    push    %rdi                    /* file */
    push    %rsi                    /* mode; the stack is 16-byte aligned for the call */
    call    leakspy_dlopen_needs_its_caller
    pop     %rsi
    pop     %rdi
    pop     %rbp
    .cfi_def_cfa %rsp, 8
    test    %eax, %eax
    jnz     1f
    jmp     leakspy_dlopen_and_patch
1:
    movb    $1, leakspy_modules_dirty(%rip)
    jmp     *leakspy_real_dlopen(%rip)
    .cfi_endproc
    .size   leakspy_hooked_dlopen, . - leakspy_hooked_dlopen

    .section .note.GNU-stack, "", @progbits
