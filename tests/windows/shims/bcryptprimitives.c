/* Wine 8 shim for bcryptprimitives.dll, which Rust's std imports for ProcessPrng (its random
 * source on Windows 10+). Real Windows 8 and later ship this DLL; Debian's wine64 (Wine 8) does
 * not, so tests/windows/run.sh puts this tiny stand-in next to the test executables, and only
 * there: it is never part of what ships. ProcessPrng fills the buffer from RtlGenRandom
 * (advapi32's SystemFunction036), which Wine has. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x7fffffffu ? 0x7fffffffu : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
