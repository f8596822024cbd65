#include "base/err.h"

struct err_row {
    const char *name;
    enum err_action action;
    int notify;
    const char *text;
};

#define ROW(name, act, notify, text) { #name, ERR_##act, notify, text },
static const struct err_row rows[] = { KITE_ERRORS(ROW) };
#undef ROW

static const struct err_row *row_of(int err)
{
    int idx = -err;
    if (idx < 0 || idx >= KITE_E_COUNT_)
        return 0;
    return &rows[idx];
}

const char *kite_strerror(int err)
{
    const struct err_row *r = row_of(err);
    return r ? r->text : "unknown error";
}

const char *kite_errname(int err)
{
    const struct err_row *r = row_of(err);
    return r ? r->name : "UNKNOWN";
}

enum err_action kite_err_action(int err)
{
    const struct err_row *r = row_of(err);
    return r ? r->action : ERR_FATAL;
}

int kite_err_notify(int err)
{
    const struct err_row *r = row_of(err);
    return r ? r->notify : 0;
}
