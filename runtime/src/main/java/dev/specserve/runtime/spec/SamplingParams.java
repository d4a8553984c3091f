package dev.specserve.runtime.spec;

/** temperature 0 means greedy; top_p in (0, 1]; the seed makes sampling reproducible. */
public record SamplingParams(double temperature, double topP, long seed) {
    public static final SamplingParams GREEDY = new SamplingParams(0, 1, 0);

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new InvalidRequestException("temperature", "temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new InvalidRequestException("top_p", "top_p must be in (0, 1], got " + topP);
        }
    }

    public boolean greedy() {
        return temperature == 0;
    }
}
