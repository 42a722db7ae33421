/* cmd_arch.c: `seedchip arch`: list, show, check, diff and dump chip
 * descriptions (built-in presets or JSON files). All figures come from
 * sc_arch_derive; this file only formats them. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "seedchip/arch.h"

static const char usage_arch[] =
    "usage: seedchip arch <subcommand> [<args>]\n"
    "\n"
    "Chip descriptions: a built-in preset name or a JSON file (docs/ARCH.md).\n"
    "\n"
    "subcommands:\n"
    "  list                       list the built-in presets\n"
    "  show [--json] <arch>       print the derived figures (peak, bandwidth, SRAM, ...)\n"
    "  check <file>...            validate files; print every problem found\n"
    "  diff <a> <b>               list the key paths whose values differ\n"
    "  dump <arch>                print the canonical JSON (a starting point for a new file)\n"
    "\n"
    "A name that is a preset (seedchip arch list) loads the preset; anything else is\n"
    "read as a file path (use ./name for a file that shadows a preset).\n"
    "Exit status: 0 success, 1 load or validation failure, 2 bad usage.\n";

static const char usage_show[] =
    "usage: seedchip arch show [--json] <preset|file>\n"
    "\n"
    "Prints the derived figures of a chip: peak MXU throughput and ridge point per\n"
    "dtype, memory capacity and bandwidth, SRAM, NoC bisection, chip-to-chip and host\n"
    "links, power. --json prints the same figures as a JSON object.\n";

static const char usage_check[] = "usage: seedchip arch check <file>...\n"
                                  "\n"
                                  "Validates each file; prints '<file>: ok' or every problem.\n";
static const char usage_diff[] = "usage: seedchip arch diff <preset|file> <preset|file>\n"
                                 "\n"
                                 "Prints 'key.path: a -> b' per difference, or 'no differences'.\n"
                                 "Exit status is 0 either way.\n";
static const char usage_dump[] = "usage: seedchip arch dump <preset|file>\n"
                                 "\n"
                                 "Prints the canonical JSON of a chip description.\n";
static const char usage_list[] = "usage: seedchip arch list\n";

/* Parsed command line of a subcommand: flags and positional arguments. */
typedef struct args {
  bool help, json;
  int n_pos;
  char **pos;
} args;

/* A small manual parser (no getopt global state): --help/-h, --json where
 * allowed, "--" ends options; anything else dash-prefixed is a usage error. */
static int parse_args(const char *cmd, const char *usage, bool allow_json, int argc, char **argv,
                      args *out) {
  memset(out, 0, sizeof *out);
  out->pos = calloc((size_t)argc + 1, sizeof *out->pos);
  if (!out->pos) return cli_fail("arch: out of memory");
  bool options = true;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (options && strcmp(s, "--") == 0) {
      options = false;
    } else if (options && (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)) {
      out->help = true;
    } else if (options && allow_json && strcmp(s, "--json") == 0) {
      out->json = true;
    } else if (options && s[0] == '-' && s[1] != '\0') {
      return cli_usage_error(cmd, usage, "unknown option '%s'", s);
    } else {
      out->pos[out->n_pos++] = argv[i];
    }
  }
  return CLI_EXIT_OK;
}

/* Loads an arch, printing the loader's messages on failure. */
static sc_arch *load(const char *what) {
  sc_arch *a = NULL;
  sc_strbuf err = {0};
  sc_status st = sc_arch_load(what, &a, &err);
  if (st != SC_STATUS_OK) {
    fputs(sc_strbuf_str(&err), stderr);
    fprintf(stderr, "seedchip: arch: cannot load '%s': %s\n", what, sc_status_str(st));
  }
  sc_strbuf_free(&err);
  return a;
}

static bool is_float_dtype(int t) {
  return sc_dtype_is_float((sc_dtype)t);
}

static void print_row(const char *label, const char *fmt, ...) SC_PRINTF(2, 3);
static void print_row(const char *label, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("  %-24s ", label);
  vprintf(fmt, ap);
  putchar('\n');
  va_end(ap);
}

#define MIB (1024.0 * 1024.0)

static void show_text(const sc_arch *a, const sc_arch_figures *f) {
  printf("%s  (fingerprint %016" PRIx64 ")\n", a->name, sc_arch_fingerprint(a));
  if (a->description[0]) printf("%s\n", a->description);
  printf("\ncompute\n");
  print_row("clock", "%.3g GHz", a->clock_ghz);
  print_row("cores", "%" PRIu32 " (%" PRIu32 " x %" PRIu32 " mesh)", a->cores.count,
            a->cores.mesh_rows, a->cores.mesh_cols);
  print_row("MXU per core", "%" PRIu32 " x %" PRIu32 " %s", a->core.mxu.rows, a->core.mxu.cols,
            sc_arch_dataflow_name(a->core.mxu.dataflow));
  printf("\n  %-8s %13s %17s %17s %15s\n", "dtype", "MACs/PE/cycle", "peak", "ridge point",
         "MAC power");
  for (int t = 0; t < SC_DTYPE_COUNT; t++) {
    if (!(f->peak_ops_per_s[t] > 0)) continue;
    bool fl = is_float_dtype(t);
    printf("  %-8s %13.4g %9.1f %-7s %9.1f %-7s %13.1f W\n", sc_dtype_name((sc_dtype)t),
           a->core.mxu.macs_per_pe_cycle[t], f->peak_ops_per_s[t] / 1e12, fl ? "TFLOP/s" : "TOPS",
           f->ridge_ops_per_byte[t], fl ? "FLOP/B" : "op/B", f->mxu_power_w[t]);
  }
  printf("\n");
  print_row("VPU", "%" PRIu32 " lanes/core, %.1f Gop/s chip", a->core.vpu.lanes,
            f->vpu_ops_per_s / 1e9);
  print_row("SFU", "%.4g elems/cycle/core, %.1f Gelem/s chip", a->core.vpu.sfu_elems_per_cycle,
            f->sfu_elems_per_s / 1e9);
  print_row("DMA", "%" PRIu32 " engines/core, %" PRIu32 " cycles/descriptor", a->core.dma.engines,
            a->core.dma.descriptor_overhead_cycles);

  printf("\nmemory\n");
  print_row("technology", "%s, %" PRIu32 " stacks, %" PRIu32 " channels", a->memory.technology,
            a->memory.stacks, a->memory.channels);
  print_row("capacity", "%.1f GB (%.1f GiB)", (double)f->mem_capacity_bytes / 1e9,
            (double)f->mem_capacity_bytes / (MIB * 1024.0));
  print_row("peak bandwidth", "%.1f GB/s", f->mem_peak_gb_s);
  print_row("effective bandwidth", "%.1f GB/s (%.1f%% of peak)", f->mem_effective_gb_s,
            100 * f->mem_efficiency);
  print_row("latency", "%.4g ns", a->memory.latency_ns);
  print_row("power at effective bw", "%.1f W", f->mem_power_w);

  printf("\non-chip SRAM\n");
  print_row("SRAM per core", "%.2f MiB (%" PRIu32 " banks of %.0f KiB)",
            (double)f->sram_bytes_per_core / MIB, a->core.sram.banks,
            (double)f->sram_bank_bytes / 1024.0);
  print_row("SRAM chip", "%.2f MiB", (double)f->sram_bytes_chip / MIB);
  print_row("SRAM bandwidth per core", "%.1f GB/s", f->sram_gb_s_per_core);
  print_row("accumulators per core", "%.2f MiB", (double)f->acc_bytes_per_core / MIB);
  print_row("accumulators chip", "%.2f MiB", (double)f->acc_bytes_chip / MIB);

  printf("\ninterconnect\n");
  print_row("NoC link", "%.1f GB/s per direction", f->noc_link_gb_s);
  print_row("NoC bisection", "%" PRIu32 " links, %.1f GB/s per direction, %.1f GB/s both",
            f->noc_bisection_links, f->noc_bisection_gb_s, f->noc_bisection_gb_s_both);
  print_row("NoC diameter", "%" PRIu32 " hops", f->noc_diameter_hops);
  print_row("chip-to-chip", "%" PRIu32 " x %.4g GB/s = %.1f GB/s per direction, %.1f both",
            a->chip_links.count, a->chip_links.gb_s, f->chip_links_gb_s, f->chip_links_gb_s_both);
  print_row("host link", "%s, %.4g GB/s per direction", a->host_link.name, f->host_link_gb_s);

  printf("\npower\n");
  print_row("TDP", "%.4g W", f->tdp_w);
  print_row("static", "%.4g W", f->static_w);
}

static int show_json(const sc_arch *a, const sc_arch_figures *f) {
  cJSON *o = cJSON_CreateObject();
  char fp[20];
  snprintf(fp, sizeof fp, "%016" PRIx64, sc_arch_fingerprint(a));
  cJSON_AddStringToObject(o, "name", a->name);
  cJSON_AddStringToObject(o, "fingerprint", fp);
  cJSON_AddNumberToObject(o, "clock_ghz", a->clock_ghz);
  cJSON_AddNumberToObject(o, "cores", f->cores);
  cJSON_AddNumberToObject(o, "pes_per_core", (double)f->pes_per_core);
  cJSON *peak = cJSON_AddObjectToObject(o, "mxu");
  for (int t = 0; t < SC_DTYPE_COUNT; t++) {
    if (!(f->peak_ops_per_s[t] > 0)) continue;
    cJSON *d = cJSON_AddObjectToObject(peak, sc_dtype_name((sc_dtype)t));
    cJSON_AddNumberToObject(d, "peak_ops_per_s", f->peak_ops_per_s[t]);
    cJSON_AddNumberToObject(d, is_float_dtype(t) ? "peak_tflop_s" : "peak_tops",
                            f->peak_ops_per_s[t] / 1e12);
    cJSON_AddNumberToObject(d, "ridge_ops_per_byte", f->ridge_ops_per_byte[t]);
    cJSON_AddNumberToObject(d, "mac_power_at_peak_w", f->mxu_power_w[t]);
  }
  cJSON *v = cJSON_AddObjectToObject(o, "vpu");
  cJSON_AddNumberToObject(v, "ops_per_s", f->vpu_ops_per_s);
  cJSON_AddNumberToObject(v, "sfu_elems_per_s", f->sfu_elems_per_s);
  cJSON *m = cJSON_AddObjectToObject(o, "memory");
  cJSON_AddStringToObject(m, "technology", a->memory.technology);
  cJSON_AddNumberToObject(m, "capacity_bytes", (double)f->mem_capacity_bytes);
  cJSON_AddNumberToObject(m, "peak_gb_s", f->mem_peak_gb_s);
  cJSON_AddNumberToObject(m, "effective_gb_s", f->mem_effective_gb_s);
  cJSON_AddNumberToObject(m, "efficiency", f->mem_efficiency);
  cJSON_AddNumberToObject(m, "power_at_effective_w", f->mem_power_w);
  cJSON *s = cJSON_AddObjectToObject(o, "sram");
  cJSON_AddNumberToObject(s, "bytes_per_core", (double)f->sram_bytes_per_core);
  cJSON_AddNumberToObject(s, "bytes_chip", (double)f->sram_bytes_chip);
  cJSON_AddNumberToObject(s, "bank_bytes", (double)f->sram_bank_bytes);
  cJSON_AddNumberToObject(s, "gb_s_per_core", f->sram_gb_s_per_core);
  cJSON_AddNumberToObject(s, "acc_bytes_per_core", (double)f->acc_bytes_per_core);
  cJSON_AddNumberToObject(s, "acc_bytes_chip", (double)f->acc_bytes_chip);
  cJSON *n = cJSON_AddObjectToObject(o, "noc");
  cJSON_AddNumberToObject(n, "link_gb_s", f->noc_link_gb_s);
  cJSON_AddNumberToObject(n, "bisection_links", f->noc_bisection_links);
  cJSON_AddNumberToObject(n, "bisection_gb_s", f->noc_bisection_gb_s);
  cJSON_AddNumberToObject(n, "bisection_gb_s_both", f->noc_bisection_gb_s_both);
  cJSON_AddNumberToObject(n, "diameter_hops", f->noc_diameter_hops);
  cJSON *c = cJSON_AddObjectToObject(o, "chip_links");
  cJSON_AddNumberToObject(c, "count", a->chip_links.count);
  cJSON_AddNumberToObject(c, "gb_s", f->chip_links_gb_s);
  cJSON_AddNumberToObject(c, "gb_s_both", f->chip_links_gb_s_both);
  cJSON *h = cJSON_AddObjectToObject(o, "host_link");
  cJSON_AddStringToObject(h, "name", a->host_link.name);
  cJSON_AddNumberToObject(h, "gb_s", f->host_link_gb_s);
  cJSON *p = cJSON_AddObjectToObject(o, "power");
  cJSON_AddNumberToObject(p, "tdp_w", f->tdp_w);
  cJSON_AddNumberToObject(p, "static_w", f->static_w);
  char *text = cJSON_Print(o); /* NULL if any allocation above failed */
  cJSON_Delete(o);
  if (!text) return cli_fail("arch show: out of memory");
  puts(text);
  cJSON_free(text);
  return CLI_EXIT_OK;
}

static int run_show(int argc, char **argv) {
  args a;
  int rc = parse_args("arch show", usage_show, true, argc, argv, &a);
  if (rc == CLI_EXIT_OK && a.help) {
    fputs(usage_show, stdout);
  } else if (rc == CLI_EXIT_OK && a.n_pos != 1) {
    rc = cli_usage_error("arch show", usage_show, "expected one preset or file");
  } else if (rc == CLI_EXIT_OK) {
    sc_arch *arch = load(a.pos[0]);
    if (!arch) {
      rc = CLI_EXIT_FAIL;
    } else {
      sc_arch_figures f;
      sc_arch_derive(arch, &f);
      if (a.json)
        rc = show_json(arch, &f);
      else
        show_text(arch, &f);
      sc_arch_destroy(arch);
    }
  }
  free(a.pos);
  return rc;
}

static int run_check(int argc, char **argv) {
  args a;
  int rc = parse_args("arch check", usage_check, false, argc, argv, &a);
  if (rc == CLI_EXIT_OK && a.help) {
    fputs(usage_check, stdout);
  } else if (rc == CLI_EXIT_OK && a.n_pos < 1) {
    rc = cli_usage_error("arch check", usage_check, "expected at least one file");
  } else if (rc == CLI_EXIT_OK) {
    for (int i = 0; i < a.n_pos; i++) {
      sc_arch *arch = load(a.pos[i]);
      if (!arch) {
        rc = CLI_EXIT_FAIL;
        continue;
      }
      printf("%s: ok (%s, fingerprint %016" PRIx64 ")\n", a.pos[i], arch->name,
             sc_arch_fingerprint(arch));
      sc_arch_destroy(arch);
    }
  }
  free(a.pos);
  return rc;
}

static int run_diff(int argc, char **argv) {
  args a;
  int rc = parse_args("arch diff", usage_diff, false, argc, argv, &a);
  if (rc == CLI_EXIT_OK && a.help) {
    fputs(usage_diff, stdout);
  } else if (rc == CLI_EXIT_OK && a.n_pos != 2) {
    rc = cli_usage_error("arch diff", usage_diff, "expected two presets or files");
  } else if (rc == CLI_EXIT_OK) {
    sc_arch *x = load(a.pos[0]);
    sc_arch *y = x ? load(a.pos[1]) : NULL;
    if (!x || !y) {
      rc = CLI_EXIT_FAIL;
    } else {
      sc_strbuf out = {0};
      if (sc_arch_diff(x, y, &out) == 0)
        puts("no differences");
      else
        fputs(sc_strbuf_str(&out), stdout);
      if (out.oom) rc = cli_fail("arch diff: out of memory");
      sc_strbuf_free(&out);
    }
    sc_arch_destroy(x);
    sc_arch_destroy(y);
  }
  free(a.pos);
  return rc;
}

static int run_dump(int argc, char **argv) {
  args a;
  int rc = parse_args("arch dump", usage_dump, false, argc, argv, &a);
  if (rc == CLI_EXIT_OK && a.help) {
    fputs(usage_dump, stdout);
  } else if (rc == CLI_EXIT_OK && a.n_pos != 1) {
    rc = cli_usage_error("arch dump", usage_dump, "expected one preset or file");
  } else if (rc == CLI_EXIT_OK) {
    sc_arch *arch = load(a.pos[0]);
    if (!arch) {
      rc = CLI_EXIT_FAIL;
    } else {
      sc_strbuf out = {0};
      if (sc_arch_to_json(arch, &out) != SC_STATUS_OK)
        rc = cli_fail("arch dump: out of memory");
      else
        fputs(sc_strbuf_str(&out), stdout);
      sc_strbuf_free(&out);
      sc_arch_destroy(arch);
    }
  }
  free(a.pos);
  return rc;
}

static int run_list(int argc, char **argv) {
  args a;
  int rc = parse_args("arch list", usage_list, false, argc, argv, &a);
  if (rc == CLI_EXIT_OK && a.help) {
    fputs(usage_list, stdout);
  } else if (rc == CLI_EXIT_OK && a.n_pos != 0) {
    rc = cli_usage_error("arch list", usage_list, "takes no arguments");
  } else if (rc == CLI_EXIT_OK) {
    for (const char *const *n = sc_arch_preset_names(); *n; n++) {
      sc_arch *arch = load(*n);
      if (!arch) {
        rc = CLI_EXIT_FAIL;
        continue;
      }
      sc_arch_figures f;
      sc_arch_derive(arch, &f);
      printf("%-8s %3" PRIu32 " cores  %-8s %8.1f GB  %7.0f GB/s  %5.0f W  %016" PRIx64 "\n", *n,
             arch->cores.count, arch->memory.technology, (double)f.mem_capacity_bytes / 1e9,
             f.mem_effective_gb_s, f.tdp_w, sc_arch_fingerprint(arch));
      sc_arch_destroy(arch);
    }
  }
  free(a.pos);
  return rc;
}

int cmd_arch(int argc, char **argv) {
  if (argc < 2) return cli_usage_error("arch", usage_arch, "expected a subcommand");
  const char *sub = argv[1];
  if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
    fputs(usage_arch, stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(sub, "list") == 0) return run_list(argc - 1, argv + 1);
  if (strcmp(sub, "show") == 0) return run_show(argc - 1, argv + 1);
  if (strcmp(sub, "check") == 0) return run_check(argc - 1, argv + 1);
  if (strcmp(sub, "diff") == 0) return run_diff(argc - 1, argv + 1);
  if (strcmp(sub, "dump") == 0) return run_dump(argc - 1, argv + 1);
  if (sub[0] == '-') return cli_usage_error("arch", usage_arch, "unknown option '%s'", sub);
  return cli_usage_error("arch", usage_arch, "unknown subcommand '%s'", sub);
}
