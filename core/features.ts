/** The four Iris measurements, in the order every array form uses. */
export const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"] as const;

export type FeatureName = (typeof FEATURES)[number];

/** All measurements are lengths in centimetres, as in Fisher's data. */
export const FEATURE_UNIT = "cm";

/** One flower's measurements, in the order of FEATURES. */
export type Row = ArrayLike<number>;

export type Measurements = Record<FeatureName, number>;
