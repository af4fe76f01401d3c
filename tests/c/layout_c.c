/* Prints the C view of every struct's layout (see layout.inc). Built by tests/c/run.sh. */
#include <stddef.h>
#include <stdio.h>

#include "modio_market.h"

#define LAYOUT_ALIGNOF(T) _Alignof(T)
#include "layout.inc"

int main(void)
{
    print_layout();
    return 0;
}
