/* cmd_run.c: `seedchip run`: load a program on a simulated device, bind input
 * and output files to its named buffers, run it, write the outputs, and report
 * a trap with the instruction and its source location. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "seedchip/perf.h"
#include "seedchip/runtime.h"
#include "seedchip/util.h"

static const char usage[] =
    "usage: seedchip run <program.scb> [--arch <preset|file>] [--in NAME=FILE]...\n"
    "                    [--out NAME=FILE]... [--mode timed|timing-only|functional]\n"
    "                    [--profile] [--trace FILE.json] [--report FILE.html]\n"
    "                    [--watchdog N] [--threads N]\n"
    "\n"
    "Runs a program on the simulated chip. Each --in copies FILE (raw bytes, exactly\n"
    "the buffer's size) into the input or state buffer NAME before the run; each\n"
    "--out writes buffer NAME to FILE after it. The architecture defaults to the\n"
    "preset the program was built for.\n"
    "\n"
    "--mode timed (the default) computes the data and the cycles; timing-only\n"
    "computes the cycles alone (no inputs or outputs, no weights needed);\n"
    "functional computes the data alone, on --threads host threads (default: every\n"
    "host CPU; results are the same for any count); --threads alone selects it.\n"
    "--profile prints cycles, time, energy and power, busy and stall time per engine,\n"
    "MXU and memory-bandwidth utilization, the top stall reasons and the time per\n"
    "source line; --trace writes a Chrome/Perfetto trace (ui.perfetto.dev);\n"
    "--report writes a self-contained HTML report with a roofline and a timeline.\n";

enum { MAX_BINDS = 64 };

typedef struct binding {
  const char *name, *path;
  bool is_out;
  uint8_t *host;
  size_t size;
} binding;

/* Splits "name=path" in place. */
static bool split(char *arg, const char **name, const char **path) {
  char *eq = strchr(arg, '=');
  if (!eq || eq == arg || !eq[1]) return false;
  *eq = '\0';
  *name = arg;
  *path = eq + 1;
  return true;
}

static void print_trap(const sc_program *prog, const sc_trap *t) {
  fprintf(stderr, "seedchip: trap: %s\n", sc_trap_cause_str(t->cause));
  fprintf(stderr, "  core %u, %s engine, pc %u: %s\n", t->core, sc_isa_engine_name(t->engine),
          t->pc, t->insn);
  const sc_prog_debug *d = sc_prog_debug_at(prog, t->core, t->pc);
  if (d && d->line)
    fprintf(stderr, "  at %s:%u:%u\n", d->where, d->line, d->col);
  else if (d)
    fprintf(stderr, "  in %s\n", d->where);
  fprintf(stderr, "  %s\n", t->detail);
}

/* The --profile text, --trace and --report files of a timed run. */
static bool write_perf(const sc_profile *prof, const sc_arch *arch, const sc_program *prog,
                       const char *path, bool profile, const char *trace_path,
                       const char *report_path) {
  char err[512];
  sc_strbuf sb = {0};
  bool ok = true;
  if (profile) {
    sc_status st = sc_perf_text(prof, arch, prog, &sb);
    if (st != SC_STATUS_OK) {
      cli_fail("profile: %s", sc_status_str(st));
      ok = false;
    } else {
      fputs(sc_strbuf_str(&sb), stdout);
    }
    sc_strbuf_free(&sb);
  }
  if (ok && trace_path) {
    sc_status st = sc_perf_trace(prof, arch, prog, &sb);
    if (st != SC_STATUS_OK)
      snprintf(err, sizeof err, "%s", sc_status_str(st));
    else
      st = sc_write_file(trace_path, sb.data, sb.len, err, sizeof err);
    if (st != SC_STATUS_OK) {
      cli_fail("--trace %s: %s", trace_path, err);
      ok = false;
    }
    sc_strbuf_free(&sb);
  }
  if (ok && report_path) {
    sc_status st = sc_perf_report(prof, arch, prog, path, &sb);
    if (st != SC_STATUS_OK)
      snprintf(err, sizeof err, "%s", sc_status_str(st));
    else
      st = sc_write_file(report_path, sb.data, sb.len, err, sizeof err);
    if (st != SC_STATUS_OK) {
      cli_fail("--report %s: %s", report_path, err);
      ok = false;
    }
    sc_strbuf_free(&sb);
  }
  return ok;
}

int cmd_run(int argc, char **argv) {
  static const struct option opts[] = {{"arch", required_argument, NULL, 'a'},
                                       {"in", required_argument, NULL, 'i'},
                                       {"out", required_argument, NULL, 'o'},
                                       {"watchdog", required_argument, NULL, 'w'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"mode", required_argument, NULL, 'm'},
                                       {"profile", no_argument, NULL, 'p'},
                                       {"trace", required_argument, NULL, 'T'},
                                       {"report", required_argument, NULL, 'R'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *arch_name = NULL, *trace_path = NULL, *report_path = NULL;
  sc_sim_mode mode = SC_SIM_TIMED;
  bool profile = false, mode_set = false;
  unsigned long long watchdog = 0, threads = 0;
  binding binds[MAX_BINDS];
  size_t n_binds = 0;
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'a':
      arch_name = optarg;
      break;
    case 'i':
    case 'o': {
      if (n_binds == MAX_BINDS)
        return cli_usage_error("run", usage, "more than %d bindings", MAX_BINDS);
      binding *b = &binds[n_binds];
      *b = (binding){.is_out = c == 'o'};
      if (!split(optarg, &b->name, &b->path))
        return cli_usage_error("run", usage, "expected NAME=FILE, got '%s'", optarg);
      n_binds++;
      break;
    }
    case 'w':
    case 't': {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(optarg, &end, 10);
      if (errno || end == optarg || *end || optarg[0] == '-' || v == 0 || (c == 't' && v > 1024))
        return cli_usage_error("run", usage, "--%s needs a positive count%s, got '%s'",
                               c == 'w' ? "watchdog" : "threads", c == 't' ? " up to 1024" : "",
                               optarg);
      *(c == 'w' ? &watchdog : &threads) = v;
      break;
    }
    case 'm':
      mode = sc_sim_mode_parse(optarg);
      if (mode == SC_SIM_MODE_COUNT)
        return cli_usage_error("run", usage,
                               "--mode takes timed, timing-only or functional, got '%s'", optarg);
      mode_set = true;
      break;
    case 'p':
      profile = true;
      break;
    case 'T':
      trace_path = optarg;
      break;
    case 'R':
      report_path = optarg;
      break;
    case 'h':
      fputs(usage, stdout);
      return CLI_EXIT_OK;
    default:
      return cli_bad_option("run", usage, argv);
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("run", usage, optind >= argc ? "no program given" : "one program only");
  const char *path = argv[optind];
  if (threads && mode_set && mode != SC_SIM_FUNCTIONAL)
    return cli_usage_error("run", usage, "--threads applies to --mode functional");
  if (threads && !mode_set) mode = SC_SIM_FUNCTIONAL;
  if (mode == SC_SIM_FUNCTIONAL && (profile || trace_path || report_path))
    return cli_usage_error("run", usage, "--profile, --trace and --report need a timed mode");
  if (mode == SC_SIM_TIMING_ONLY && n_binds)
    return cli_usage_error("run", usage, "--mode timing-only moves no data: drop --in and --out");

  int rc = CLI_EXIT_FAIL;
  char err[512];
  sc_program *prog = NULL;
  sc_arch *arch = NULL;
  sc_device *dev = NULL;
  sc_rt_program *loaded = NULL;
  sc_strbuf errors = {0};
  if (sc_prog_load(path, 0, &prog, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("%s", err);
    goto done;
  }
  if (!arch_name) arch_name = sc_prog_arch_name(prog);
  if (sc_arch_load(arch_name, &arch, &errors) != SC_STATUS_OK) {
    cli_fail("cannot load architecture '%s' (pass --arch):\n%s", arch_name, sc_strbuf_str(&errors));
    goto done;
  }
  if (sc_rt_open(arch, &dev, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("%s", err);
    goto done;
  }
  sc_sim_set_watchdog(sc_rt_sim(dev), watchdog);
  if (!threads) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cpus > 0 ? (unsigned long long)cpus : 1;
  }
  sc_sim_set_threads(sc_rt_sim(dev), (unsigned)threads);
  if (sc_rt_set_mode(dev, mode, trace_path || report_path) != SC_STATUS_OK) {
    cli_fail("%s", sc_rt_errmsg(dev));
    goto done;
  }
  /* External weight files are named relative to the program's directory. */
  const char *slash = strrchr(path, '/');
  sc_strbuf dir = {0};
  sc_strbuf_printf(&dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
  sc_status load_st = sc_rt_load(dev, prog, dir.oom ? "." : sc_strbuf_str(&dir), &loaded);
  sc_strbuf_free(&dir);
  if (load_st != SC_STATUS_OK) {
    cli_fail("%s: %s", path, sc_rt_errmsg(dev));
    goto done;
  }
  for (size_t i = 0; i < n_binds; i++) {
    binding *b = &binds[i];
    uint64_t addr, size;
    if (sc_rt_buffer(loaded, b->name, &addr, &size) != SC_STATUS_OK) {
      cli_fail("%s: %s", path, sc_rt_errmsg(dev));
      goto done;
    }
    if (b->is_out) {
      b->size = (size_t)size;
      b->host = calloc(1, b->size ? b->size : 1);
      if (!b->host) {
        cli_fail("out of memory for buffer '%s'", b->name);
        goto done;
      }
    } else if (sc_read_file(b->path, (size_t)size, &b->host, &b->size, err, sizeof err) !=
               SC_STATUS_OK) {
      cli_fail("--in %s: %s", b->name, err);
      goto done;
    }
    if (sc_rt_bind(loaded, b->name, b->host, b->size) != SC_STATUS_OK) {
      cli_fail("--%s %s=%s: %s", b->is_out ? "out" : "in", b->name, b->path, sc_rt_errmsg(dev));
      goto done;
    }
  }
  if (sc_rt_launch(dev, loaded) != SC_STATUS_OK) {
    cli_fail("%s", sc_rt_errmsg(dev));
    goto done;
  }
  sc_status st = sc_rt_wait(dev);
  if (st == SC_STATUS_TRAP) {
    print_trap(prog, sc_rt_trap(dev));
    goto done;
  }
  if (st != SC_STATUS_OK) {
    cli_fail("%s", sc_rt_errmsg(dev));
    goto done;
  }
  for (size_t i = 0; i < n_binds; i++) {
    if (!binds[i].is_out) continue;
    if (sc_write_file(binds[i].path, binds[i].host, binds[i].size, err, sizeof err) !=
        SC_STATUS_OK) {
      cli_fail("--out %s: %s", binds[i].name, err);
      goto done;
    }
  }
  uint64_t issued = 0;
  for (uint32_t core = 0; core < arch->cores.count; core++)
    issued += sc_rt_counter(dev, core, SC_ISA_EVENT_ISSUED);
  printf("%s: completed on %s: %llu instructions issued on %u cores\n", path, arch->name,
         (unsigned long long)issued, sc_prog_core_count(prog));
  const sc_profile *prof = sc_rt_profile(dev);
  if (prof) {
    double us = (double)prof->cycles / (arch->clock_ghz * 1e3);
    printf("%s: %llu cycles, %.3f us at %g GHz (%s)\n", path, (unsigned long long)prof->cycles, us,
           arch->clock_ghz, sc_sim_mode_name(mode));
    if (!write_perf(prof, arch, prog, path, profile, trace_path, report_path)) goto done;
  }
  rc = CLI_EXIT_OK;
done:
  for (size_t i = 0; i < n_binds; i++) free(binds[i].host);
  sc_rt_close(dev);
  sc_arch_destroy(arch);
  sc_prog_destroy(prog);
  sc_strbuf_free(&errors);
  return rc;
}
