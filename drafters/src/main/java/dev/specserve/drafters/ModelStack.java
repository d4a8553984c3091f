package dev.specserve.drafters;

import dev.specserve.runtime.engine.Engine;
import dev.specserve.runtime.engine.EngineConfig;
import dev.specserve.runtime.manifest.DrafterPrecision;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.model.TargetModel;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.ort.SessionFactory;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.SpeculativeDecoder;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Everything needed to decode: the validated manifest, tokenizer, target and drafter sessions, and the strategies. */
public final class ModelStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelStack.class);

    private final ModelManifest manifest;
    private final SessionFactory sessions;
    private final TextTokenizer tokenizer;
    private final TargetModel target;
    private final SpeculativeDecoder decoder;
    private final DrafterVersions versions;
    private final DrafterLoader drafterLoader;
    private final LookupCorpus corpus;
    private final BundledDrafterFiles bundledFiles;

    private ModelStack(ModelManifest manifest, SessionFactory sessions, TextTokenizer tokenizer, TargetModel target,
                       SpecBlockModel drafterModel, LookupCorpus corpus) {
        this.manifest = manifest;
        this.corpus = corpus;
        this.sessions = sessions;
        this.tokenizer = tokenizer;
        this.target = target;
        this.decoder = new SpeculativeDecoder(target, tokenizer);
        if (drafterModel == null) {
            this.drafterLoader = null;
            this.versions = null;
            this.bundledFiles = null;
            return;
        }
        this.drafterLoader = new DrafterLoader(sessions, manifest.drafter());
        this.bundledFiles = new BundledDrafterFiles(manifest.drafter());
        // the bundled drafter is known by the file that serves (a load of the other precision's file is a real
        // load), and its adapters by the full-precision file's, so replicas on other devices share adapter versions
        Path served = drafterModel.info().file();
        String servedSha = ManifestLoader.sha256(served);
        var bundled = new DrafterModelHandle(1, served.toString(), servedSha, bundledFiles.adapterBase(servedSha),
                drafterModel, () -> new SpecBlockModel(sessions, drafterModel.info()));
        this.versions = new DrafterVersions(bundled,
                Adapter.zero(manifest.drafter().adapterRank(), manifest.drafter().dim()));
    }

    public static ModelStack load(Path modelDir, ExecutionDevice device, int threads) {
        return load(modelDir, device, threads, DrafterPrecision.AUTO);
    }

    public static ModelStack load(Path modelDir, ExecutionDevice device, int threads, DrafterPrecision precision) {
        return load(modelDir, device, threads, precision, 0);
    }

    /** @param maxModelLen context served per request, 0 for the model's own ({@link ModelManifest#withMaxModelLen}) */
    public static ModelStack load(Path modelDir, ExecutionDevice device, int threads, DrafterPrecision precision,
                                  int maxModelLen) {
        return load(modelDir, device, threads, threads, precision, maxModelLen);
    }

    /** @param prefillThreads intra-op threads for prefill chunks ({@link TargetModel#WIDE_ROWS} rows or more) */
    public static ModelStack load(Path modelDir, ExecutionDevice device, int threads, int prefillThreads,
                                  DrafterPrecision precision, int maxModelLen) {
        long t0 = System.nanoTime();
        ModelManifest manifest = ManifestLoader.load(modelDir).withMaxModelLen(maxModelLen);
        SessionFactory sessions = new SessionFactory(device, threads, prefillThreads);
        TextTokenizer tokenizer = TextTokenizer.load(manifest.tokenizer().file(), manifest.tokenizer().eosIds());
        TargetModel target = new TargetModel(sessions, manifest.target()); // opened first: it settles the device
        SpecBlockModel drafter;
        LookupCorpus corpus;
        try {
            corpus = manifest.lookupCorpus() == null ? null : LookupCorpus.load(manifest.lookupCorpus(),
                    manifest.target().vocab(), manifest.tokenizer().eosId());
            drafter = manifest.hasDrafter()
                    ? new SpecBlockModel(sessions, precision.served(manifest.drafter(), sessions.device())) : null;
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
        LOG.info("models '{}' from {}: target {}{} ({} contract, {} layers, dim {}, context {}), {}, {}, on {} in {} ms",
                manifest.name(), modelDir, manifest.target().file().getFileName(),
                target.ragged() ? " + " + manifest.target().ragged().getFileName() + " (ragged attention"
                        + (target.hasWideSession() ? "; prefill chunks on " + sessions.wideThreads() + " threads" : "")
                        + ")" : "",
                manifest.target().contract(),
                manifest.target().layers(), manifest.target().dim(), manifest.target().contextLength(),
                drafter == null ? "no drafter (model-free strategies " + ModelFreeStrategies.NAMES + ")"
                        : "drafter " + drafter.info().file().getFileName() + " (K=" + manifest.drafter().blockSize() + ")",
                corpus == null ? "no lookup corpus" : "lookup corpus " + manifest.lookupCorpus().getFileName() + " ("
                        + corpus.tokens() + " tokens, " + corpus.documents() + " continuations)",
                sessions.device(), (System.nanoTime() - t0) / 1_000_000);
        return new ModelStack(manifest, sessions, tokenizer, target, drafter, corpus);
    }

    /** A serving engine over these models; the caller closes it before closing the stack. */
    public Engine newEngine(EngineConfig config, DrafterConfig drafterConfig) {
        String asked = config.defaultStrategy();
        if (!strategyNames().contains(asked)) { // unknown: the names these models serve; known: why not here
            throw new IllegalArgumentException(Strategies.NAMES.contains(asked)
                    ? ModelFreeStrategies.refusal(asked, manifest, target)
                    : "unknown strategy '" + asked + "'; known: " + String.join(", ", strategyNames()));
        }
        return new Engine(target, tokenizer, name -> strategy(name, drafterConfig), strategyNames(), manifest.name(),
                () -> versions == null ? 0 : versions.current().id(), config);
    }

    /** The strategies this model can serve: all with a drafter, else the model-free ones. */
    public java.util.List<String> strategyNames() {
        return versions != null ? Strategies.NAMES : ModelFreeStrategies.NAMES;
    }

    public boolean hasDrafter() {
        return versions != null;
    }

    public Engine newEngine(EngineConfig config) {
        return newEngine(config, DrafterConfig.defaults());
    }

    /** The drafter's weight versions; swapping the current one takes effect at the next round. */
    public DrafterVersions versions() {
        return requireDrafter();
    }

    /** The named strategy; refused with a message saying what is missing when this model cannot serve it. */
    public Drafter strategy(String name, DrafterConfig config) {
        if (versions == null) {
            return ModelFreeStrategies.create(name, config, manifest, target, corpus);
        }
        int capacity = manifest.target().contextLength() + 2 * SpeculativeDecoder.MAX_TREE_NODES;
        return Strategies.create(name, versions::current, config, capacity, corpus);
    }

    private DrafterVersions requireDrafter() {
        if (versions == null) {
            throw new IllegalStateException("model '" + manifest.name() + "' has no drafter; "
                    + ModelFreeStrategies.TRAIN_HINT + " " + manifest.directory());
        }
        return versions;
    }

    /**
     * Loads, validates and warms up a replacement drafter ONNX file and registers it as a new version with a
     * zero adapter, child of the current version. Serving continues meanwhile; activating it is the caller's
     * choice. Throws IllegalArgumentException naming the problem for a missing, corrupt or incompatible file.
     */
    public DrafterVersion loadDrafter(Path file, String expectedSha256) {
        requireDrafter();
        DrafterModelHandle model = drafterLoader.load(file, expectedSha256, versions.nextGeneration(),
                bundledFiles::adapterBase);
        DrafterVersion parent = versions.current();
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("source", "drafter-file");
        metrics.put("generation", model.generation());
        return versions.createWithModel(model, Adapter.zero(manifest.drafter().adapterRank(), manifest.drafter().dim()),
                parent.id(), metrics);
    }

    public ModelManifest manifest() {
        return manifest;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public TargetModel target() {
        return target;
    }

    /** The current version's drafter session (for tools that run it directly, not for serving). */
    public SpecBlockModel drafterModel() {
        return requireDrafter().current().model().model();
    }

    public SpeculativeDecoder decoder() {
        return decoder;
    }

    public SessionFactory sessions() {
        return sessions;
    }

    @Override
    public void close() {
        if (versions != null) {
            versions.models().forEach(DrafterModelHandle::forceClose);
        }
        target.close();
        tokenizer.close();
    }
}
