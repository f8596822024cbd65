/* prom: Prometheus text exposition format 0.0.4 into a growing buffer
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): a HELP
 * and a TYPE line per metric family, then its samples
 *   name{label="value",...} 123
 * Label values escape backslash, double quote and newline; HELP text
 * backslash and newline.  Errors (no memory) are sticky in err. */
#ifndef KITE_CTL_PROM_H
#define KITE_CTL_PROM_H
#include <stddef.h>
#include <stdint.h>

struct prom {
    char *buf;
    size_t len, cap;
    int err;
};

void prom_init(struct prom *p);
void prom_free(struct prom *p);
/* type: "counter" or "gauge" */
void prom_family(struct prom *p, const char *name, const char *type, const char *help);
/* labels: name, value pairs ending with NULL (or labels NULL: none) */
void prom_sample(struct prom *p, const char *name, const char *const *labels, uint64_t value);

#endif
