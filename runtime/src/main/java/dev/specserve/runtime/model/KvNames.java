package dev.specserve.runtime.model;

/** The Optimum-style names of a model's cache inputs and outputs, two per layer (key, value). */
public record KvNames(String[] past, String[] present) {
    public static KvNames forLayers(int layers) {
        String[] past = new String[2 * layers];
        String[] present = new String[2 * layers];
        for (int l = 0; l < layers; l++) {
            past[2 * l] = "past_key_values." + l + ".key";
            past[2 * l + 1] = "past_key_values." + l + ".value";
            present[2 * l] = "present." + l + ".key";
            present[2 * l + 1] = "present." + l + ".value";
        }
        return new KvNames(past, present);
    }
}
