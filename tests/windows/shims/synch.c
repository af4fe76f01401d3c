/* Wine 8 shim for api-ms-win-core-synch-l1-2-0.dll, which Rust's std imports for WaitOnAddress,
 * WakeByAddressSingle and WakeByAddressAll (its parking primitives). Real Windows 8 and later
 * resolve this API set; Wine 8 has the functions in kernelbase but not this API-set name, so
 * synch.def forwards the three to kernelbase. Test-only, never shipped. Nothing to define here:
 * the .def file's forwards are the whole DLL. */
#include <windows.h>

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
