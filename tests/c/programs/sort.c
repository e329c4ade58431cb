/* Sorting: quicksort and insertion sort of the same pseudo-random array.
 *
 * Signed comparisons, recursion, and a lot of loads and stores. Both sorts
 * must agree and produce an ordered array; the checksum is position-weighted
 * so any misplaced element changes it. Exit status: 0 when all is well.
 */
#include "hvrt.h"

#define N 1000

static int a[N], b[N];

static uint32_t rng = 12345u;

static int next_random(void) {
    rng = rng * 1103515245u + 12345u; /* the C standard's example LCG */
    return (int)(rng >> 1) - 0x40000000 + (int)(rng >> 20); /* spans negatives too */
}

static void insertion_sort(int *v, int n) {
    for (int i = 1; i < n; i++) {
        int key = v[i], j = i - 1;
        while (j >= 0 && v[j] > key) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = key;
    }
}

static void quicksort(int *v, int lo, int hi) {
    while (lo < hi) {
        if (hi - lo < 16) {
            insertion_sort(v + lo, hi - lo + 1);
            return;
        }
        int pivot = v[lo + (hi - lo) / 2], i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                int t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        /* recurse into the smaller half, loop on the larger: stack depth O(log n) */
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
}

static uint32_t checksum(const int *v, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i++)
        s = s * 31u + (uint32_t)v[i] * (uint32_t)(i + 1);
    return s;
}

int main(void) {
    for (int i = 0; i < N; i++)
        a[i] = b[i] = next_random();
    hv_printf("unsorted: %08x first %d last %d\n", (unsigned)checksum(a, N), a[0], a[N - 1]);
    quicksort(a, 0, N - 1);
    insertion_sort(b, N);
    int ordered = 1, same = 1;
    for (int i = 0; i < N; i++) {
        if (i && a[i - 1] > a[i])
            ordered = 0;
        if (a[i] != b[i])
            same = 0;
    }
    hv_printf("quicksort: %08x min %d max %d median %d\n", (unsigned)checksum(a, N), a[0], a[N - 1],
              a[N / 2]);
    hv_printf("insertion: %08x\n", (unsigned)checksum(b, N));
    hv_printf("ordered %s, sorts agree %s\n", ordered ? "yes" : "NO", same ? "yes" : "NO");
    return ordered && same ? 0 : 1;
}
