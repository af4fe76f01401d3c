/* The libcurl reference for scripts/bench: N sequential GETs on one easy handle (keep-alive,
 * one connection), each body read into memory, status checked.
 * Usage: curl_loop URL BEARER_TOKEN N WARMUP. Prints "ok=N seconds=S cpu=S" for the N timed requests. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct body { char *data; size_t len, cap; };

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct body *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

static double clock_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU time of every thread of this process (the library's workers included). */
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static int one(CURL *h, struct body *b) {
    b->len = 0;
    if (curl_easy_perform(h) != CURLE_OK) return 0;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return status == 200 && b->len > 0;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s URL TOKEN N WARMUP\n", argv[0]);
        return 2;
    }
    long n = atol(argv[3]), warmup = atol(argv[4]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct body b = {0};
    char auth[4096];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[2]);
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, auth);
    headers = curl_slist_append(headers, "Accept: application/json");
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    for (long i = 0; i < warmup; i++) {
        if (!one(h, &b)) { fprintf(stderr, "curl_loop: warm-up request failed\n"); return 1; }
    }
    long ok = 0;
    double start = now(), cpu_start = cpu();
    for (long i = 0; i < n; i++) ok += one(h, &b);
    double seconds = now() - start, cpu_seconds = cpu() - cpu_start;
    printf("ok=%ld seconds=%.9f cpu=%.9f\n", ok, seconds, cpu_seconds);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    free(b.data);
    return ok == n ? 0 : 1;
}
