package dev.specserve.drafters.update;

/** One training example from verification: the drafter's hidden state at a slot and the target's token there. */
public record AdapterSample(float[] hidden, int targetToken) {}
