// hearth tokenize: token ids of a text (BOS as the model's metadata says).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json_writer.h"

int cmd_tokenize(cli_args *a) {
    const char *text = args_require(a, "-p", "--prompt");
    bool json = args_flag(a, "--json");
    hearth_engine *e = cli_load_model(a, NULL);
    args_check_all_used(a);
    if (!e) return 1;
    size_t len = strlen(text);
    int cap = (int)len + 8;
    int32_t *ids = malloc((size_t)cap * sizeof(int32_t));
    int n = hearth_tokenize(e, text, len, true, true, ids, cap);
    if (n < 0 || n > cap) {
        fprintf(stderr, "hearth: %s\n", hearth_last_error(e));
        free(ids);
        hearth_free(e);
        return 1;
    }
    hs_json j;
    hs_json_init(&j);
    hs_json_begin_object(&j);
    hs_json_key(&j, "ids");
    hs_json_begin_array(&j);
    for (int i = 0; i < n; i++) hs_json_int(&j, ids[i]);
    hs_json_end_array(&j);
    hs_json_key(&j, "pieces");
    hs_json_begin_array(&j);
    char piece[256];
    for (int i = 0; i < n; i++) {
        int plen = hearth_token_piece(e, ids[i], piece, sizeof piece);
        hs_json_string(&j, piece, plen < (int)sizeof piece ? (size_t)plen : 0);
    }
    hs_json_end_array(&j);
    hs_json_end_object(&j);
    if (json) {
        printf("%s\n", j.buf);
    } else {
        for (int i = 0; i < n; i++) printf("%s%d", i ? " " : "", ids[i]);
        printf("\n");
    }
    hs_json_free(&j);
    free(ids);
    hearth_free(e);
    return 0;
}
