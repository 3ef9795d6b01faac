/**
 * Training rows from CSV: the four measurements then the species, one flower per line, with or
 * without the header `sepal_length,sepal_width,petal_length,petal_width,species`. What a
 * SageMaker training channel carries when it brings its own data.
 */
import { csvRecordToRow, splitCsvLine } from "../core/csv.js";
import { FEATURES } from "../core/features.js";
import { InputError } from "../core/input.js";
import type { Dataset } from "./data.js";

const HEADER = [...FEATURES, "species"];

export function parseLabelledCsv(text: string, source: string): Dataset {
  const rows: number[][] = [];
  const names: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const fields = splitCsvLine(line, `${source} line ${i + 1}`);
    if (rows.length === 0 && fields.map((f) => f.toLowerCase()).join() === HEADER.join()) return;
    if (fields.length !== HEADER.length) {
      throw new InputError(
        `${source} line ${i + 1}`,
        `expected ${HEADER.length} values (${HEADER.join(", ")}), got ${fields.length}`,
      );
    }
    rows.push(csvRecordToRow(fields.slice(0, 4), `${source} line ${i + 1}`));
    const species = fields[4] as string;
    if (species === "") throw new InputError(`${source} line ${i + 1}`, "species is empty");
    names.push(species);
  });
  const classes = [...new Set(names)].sort();
  if (classes.length < 2)
    throw new InputError(source, `needs rows of at least 2 species, found ${classes.length}`);
  return { rows, labels: names.map((name) => classes.indexOf(name)), classes, source };
}
