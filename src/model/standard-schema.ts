/**
 * The part of Standard Schema v1 (https://standardschema.dev) opslog uses, written from the
 * spec's description so that zod, valibot, arktype and any other implementation plug in with no
 * runtime dependency: a validator carries a `~standard` property whose `validate` returns the
 * (possibly transformed) value or a list of issues.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

// A namespace only groups the types, as the spec does: it emits no code.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    /** Synchronous or not, at the validator's choice; opslog accepts only a synchronous one. */
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    /** Carried for type inference only; no value needs to be present at run time. */
    readonly types?: Types<Input, Output> | undefined;
  }

  type Result<Output> = SuccessResult<Output> | FailureResult;

  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }

  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }

  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }

  interface PathSegment {
    readonly key: PropertyKey;
  }

  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
}

/** The type a schema accepts. */
export type InferInput<S extends StandardSchemaV1> =
  NonNullable<S["~standard"]["types"]>["input"];

/** The type a schema produces: what a store opened with it holds. */
export type InferOutput<S extends StandardSchemaV1> =
  NonNullable<S["~standard"]["types"]>["output"];
