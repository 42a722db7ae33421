/* replay_main.c: runs a libFuzzer entry point over every file in the seed-corpus
 * directories named on the command line (and over a few synthetic inputs), so the
 * harness is exercised by every ordinary build, sanitizer builds included. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  uint8_t *data;
  size_t len;
  char err[256];
  if (sc_read_file(path, (size_t)64 << 20, &data, &len, err, sizeof err) != SC_STATUS_OK) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  /* Every prefix length up to 64 bytes, then the whole file: truncation is the
   * commonest malformation. */
  for (size_t n = 0; n < len && n < 64; n++) LLVMFuzzerTestOneInput(data, n);
  LLVMFuzzerTestOneInput(data, len);
  free(data);
  return 0;
}

int main(int argc, char **argv) {
  static const uint8_t empty[1];
  LLVMFuzzerTestOneInput(empty, 0);
  int files = 0, failed = 0;
  for (int a = 1; a < argc; a++) {
    DIR *d = opendir(argv[a]);
    if (!d) {
      failed |= replay_file(argv[a]);
      files++;
      continue;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      sc_strbuf path = {0};
      sc_strbuf_printf(&path, "%s/%s", argv[a], e->d_name);
      failed |= replay_file(sc_strbuf_str(&path));
      sc_strbuf_free(&path);
      files++;
    }
    closedir(d);
  }
  printf("replayed %d corpus file(s)\n", files);
  return failed;
}
