/* The size baseline for static_wallet: the same compiler and flags, without the library. */
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
