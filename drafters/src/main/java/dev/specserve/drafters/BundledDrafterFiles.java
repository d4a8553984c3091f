package dev.specserve.drafters;

import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;

/**
 * The bundled drafter's two files, full precision and int8 ({@link dev.specserve.runtime.manifest.DrafterPrecision}):
 * one network, so an adapter trained on either is valid for both, and each is known for adapters by the
 * full-precision file's sha256 ({@link DrafterModelHandle#adapterBase}). Any other file is its own base. The
 * files' hashes are read once, when first needed.
 */
final class BundledDrafterFiles {
    private final ModelManifest.DrafterInfo drafter;
    private String fp32;
    private String int8;

    BundledDrafterFiles(ModelManifest.DrafterInfo drafter) {
        this.drafter = drafter;
    }

    /** The sha256 adapters for the file with {@code sha256} are trained against. */
    synchronized String adapterBase(String sha256) {
        if (fp32 == null) {
            fp32 = ManifestLoader.sha256(drafter.file());
            int8 = drafter.int8File() == null ? "" : ManifestLoader.sha256(drafter.int8File());
        }
        return sha256.equals(int8) ? fp32 : sha256;
    }
}
