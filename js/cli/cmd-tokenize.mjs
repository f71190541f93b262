// tokenize: token ids of a text, BOS as the model's metadata says (tools/cli/cmd_tokenize.c);
// --json adds each token's piece.
import { loadModel, modelSpec } from './load-model.mjs';
import { toNativeJson } from './native-json.mjs';

export async function cmdTokenize(args, out) {
    const text = args.require('-p', '--prompt');
    const json = args.flag('--json');
    const spec = modelSpec(args);
    args.checkAllUsed();
    const { core } = await loadModel(spec);
    try {
        const ids = core.tokenize(text, { addSpecial: true, parseSpecial: true });
        if (json) {
            const pieces = Array.from(ids, (id) => core.tokenPiece(id));
            out.write(`${toNativeJson({ ids, pieces })}\n`);
        } else {
            out.write(`${ids.join(' ')}\n`);
        }
        return 0;
    } finally {
        core.dispose();
    }
}
