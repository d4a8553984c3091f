package dev.specserve.runtime;

import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.ort.SessionFactory;
import dev.specserve.runtime.tokenizer.TextTokenizer;

/** Target and tokenizer of the test models, opened once per test class. */
public final class LoadedModels implements AutoCloseable {
    public final ModelManifest manifest;
    public final SessionFactory sessions;
    public final TextTokenizer tokenizer;
    public final TargetModel target;

    public LoadedModels() {
        manifest = ManifestLoader.load(TestModels.dir());
        sessions = new SessionFactory(ExecutionDevice.AUTO, 2);
        tokenizer = TextTokenizer.load(manifest.tokenizer().file(), manifest.tokenizer().eosId());
        target = new TargetModel(sessions, manifest.target());
    }

    @Override
    public void close() {
        target.close();
        tokenizer.close();
    }
}
