/* test_models.h: where tests find the shared models (../shared/models, or
 * $SEEDCHIP_MODELS). Tests skip, with the printed reason, when a file is not
 * there; they never fail for it. */
#ifndef SEEDCHIP_TEST_MODELS_H
#define SEEDCHIP_TEST_MODELS_H

#include <stdio.h>
#include <stdlib.h>

#include "seedchip/util.h"

/* The path of the shared model file rel ("llama2c/stories260K.bin"),
 * malloc'd, or NULL after printing why when it is absent:
 * $SEEDCHIP_MODELS/rel, else $SEEDCHIP_SOURCE_DIR/../shared/models/rel. */
static inline char *test_model_path(const char *rel) {
  sc_strbuf p = {0};
  const char *dir = getenv("SEEDCHIP_MODELS");
  if (dir && *dir) {
    sc_strbuf_printf(&p, "%s/%s", dir, rel);
  } else {
    const char *src = getenv("SEEDCHIP_SOURCE_DIR");
    sc_strbuf_printf(&p, "%s/../shared/models/%s", src ? src : ".", rel);
  }
  FILE *f = fopen(sc_strbuf_str(&p), "rb");
  if (!f) {
    printf("skipped: %s is absent (set SEEDCHIP_MODELS to the shared models)\n", sc_strbuf_str(&p));
    sc_strbuf_free(&p);
    return NULL;
  }
  fclose(f);
  return p.data;
}

#endif
