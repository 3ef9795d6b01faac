import { strict as assert } from "node:assert";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { contextFiles, hashBuildContext } from "../../components/context-hash.js";
import {
  imageSettings,
  TrainingImage,
  type TrainingImageArgs,
} from "../../components/training-image.js";
import {
  ACCOUNT,
  FIXTURE_IMAGE_CONTEXT,
  REGION,
  type Recorder,
  settle,
  tempDir,
  useMocks,
  value,
} from "./harness.js";

const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

describe("TrainingImage", () => {
  // docker-build's embedded buildx turns provenance off itself: nothing here may need the variable
  let saved: string | undefined;
  before(() => {
    saved = process.env.BUILDX_NO_DEFAULT_ATTESTATIONS;
    delete process.env.BUILDX_NO_DEFAULT_ATTESTATIONS;
  });
  after(() => {
    if (saved !== undefined) process.env.BUILDX_NO_DEFAULT_ATTESTATIONS = saved;
  });

  async function build(args: TrainingImageArgs = {}) {
    const mocks = await useMocks({}, "dev");
    const image = new TrainingImage("image", { context: FIXTURE_IMAGE_CONTEXT, ...args });
    await settle(mocks, [image.imageUri, image.repositoryArn, image.imageTag]);
    return { mocks, image };
  }

  describe("with defaults", () => {
    let mocks: Recorder;
    let image: TrainingImage;
    before(async () => {
      ({ mocks, image } = await build());
    });

    it("registers as iris-mlops:index:TrainingImage with children named after it", () => {
      assert.equal(mocks.one("iris-mlops:index:TrainingImage").name, "image");
      for (const r of mocks.resources.filter((x) => x.custom)) assert.match(r.name, /^image-/);
    });

    it("creates a private repository that scans on push and never moves a tag", () => {
      const repo = mocks.one("aws:ecr/repository:Repository").inputs;
      assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: true });
      assert.equal(repo.imageTagMutability, "IMMUTABLE");
      assert.equal(repo.forceDelete, false);
    });

    it("auto-names the repository, so that a replacement never collides with the one it replaces", () => {
      // a fixed name made every replacement (a new encryption setting, say) fail with
      // RepositoryAlreadyExistsException: the new repository is created before the old one goes
      const repo = mocks.one("aws:ecr/repository:Repository");
      assert.equal(repo.inputs.name, undefined);
      assert.equal(repo.name, "image-repo");
    });

    it("expires all but the newest 20 images", () => {
      const lc = mocks.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs;
      assert.equal(lc.repository, mocks.one("aws:ecr/repository:Repository").state.name);
      assert.deepEqual(JSON.parse(lc.policy), {
        rules: [
          {
            rulePriority: 1,
            description: "keep the newest 20 images",
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 20 },
            action: { type: "expire" },
          },
        ],
      });
    });

    it("builds the context's Dockerfile for linux/amd64 and pushes a Docker v2 manifest", () => {
      const img = mocks.one("docker-build:index:Image").inputs;
      // relative to the project folder, so another clone elsewhere registers the same inputs
      assert.deepEqual(img.context, { location: relative(process.cwd(), FIXTURE_IMAGE_CONTEXT) });
      assert.deepEqual(img.dockerfile, {
        location: relative(process.cwd(), join(FIXTURE_IMAGE_CONTEXT, "Dockerfile")),
      });
      assert.ok(!img.context.location.startsWith("/"));
      assert.deepEqual(img.platforms, ["linux/amd64"]);
      // a registry export with Docker media types, not the `push` shorthand (OCI by default)
      assert.equal(img.push, false);
      assert.equal(img.load, undefined);
      assert.deepEqual(img.exports, [
        { registry: { ociMediaTypes: false, compression: "gzip", push: true } },
      ]);
      assert.equal(img.buildOnPreview, false);
      assert.deepEqual(img.buildArgs, {});
    });

    it("tags with a hash of the build context and the image's settings, never latest", async () => {
      const tag = await value(image.imageTag);
      const expected = `ctx-${hashBuildContext(
        FIXTURE_IMAGE_CONTEXT,
        join(FIXTURE_IMAGE_CONTEXT, "Dockerfile"),
        {},
        imageSettings("linux/amd64"),
      ).slice(0, 16)}`;
      assert.equal(tag, expected);
      const img = mocks.one("docker-build:index:Image").inputs;
      assert.deepEqual(img.tags, [`${repositoryUrl(mocks)}:${expected}`]);
      // what the hash covers is what the build is given
      assert.deepEqual(JSON.parse(imageSettings("linux/amd64").exports as string), img.exports);
    });

    it("pushes with the ECR token of the repository's registry, kept secret", () => {
      const img = mocks.one("docker-build:index:Image").inputs;
      // the password makes the whole list a secret: it never lands in the state in clear
      assert.equal(img.registries[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig);
      assert.deepEqual(img.registries.value, [
        {
          address: repositoryUrl(mocks),
          username: "AWS",
          password: "mock-ecr-password",
        },
      ]);
      const token = mocks.invokes.find(
        (i) => i.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken",
      );
      assert.equal(token?.inputs.registryId, ACCOUNT);
    });

    it("exposes the image by digest, and the repository's URL and ARN", async () => {
      const digest = mocks.one("docker-build:index:Image").state.digest as string;
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      const repo = mocks.one("aws:ecr/repository:Repository").state.name;
      assert.equal(await value(image.imageUri), `${REGISTRY}/${repo}@${digest}`);
      assert.equal(await value(image.repositoryUrl), `${REGISTRY}/${repo}`);
      assert.equal(
        await value(image.repositoryArn),
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repo}`,
      );
    });
  });

  it("passes BASE_IMAGE only when given, and it changes the tag", async () => {
    const plain = await build();
    const plainTag = await value(plain.image.imageTag);
    const based = await build({ baseImage: "public.ecr.aws/docker/library/node:22-slim" });
    assert.deepEqual(mocks(based).inputs.buildArgs, {
      BASE_IMAGE: "public.ecr.aws/docker/library/node:22-slim",
    });
    assert.notEqual(await value(based.image.imageTag), plainTag);
  });

  it("gives another platform another tag: an immutable tag is never pushed twice", async () => {
    // the platform changes the image, so the provider rebuilds; under the same tag the push
    // would fail with ImageTagAlreadyExistsException
    const amd = await value((await build()).image.imageTag);
    const arm = await value((await build({ platform: "linux/arm64" })).image.imageTag);
    assert.notEqual(arm, amd);
  });

  it("takes the platform, tag, repository name, forceDelete and image count from its arguments", async () => {
    const { mocks: m } = await build({
      platform: "linux/arm64",
      tag: "v1",
      repositoryName: "team/iris",
      forceDelete: true,
      keepImages: 5,
    });
    const img = m.one("docker-build:index:Image").inputs;
    assert.deepEqual(img.platforms, ["linux/arm64"]);
    assert.deepEqual(img.tags, [`${REGISTRY}/team/iris:v1`]);
    assert.equal(m.one("aws:ecr/repository:Repository").inputs.forceDelete, true);
    const policy = JSON.parse(m.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy);
    assert.equal(policy.rules[0].selection.countNumber, 5);
  });

  it("builds on docker-build's embedded path, which turns provenance off, with no BUILDX_ variable", async () => {
    // provider/internal/client.go (v0.0.22) passes Attests{"provenance": nil}, and buildx adds
    // its default provenance only when that key is absent; `exec: true` runs docker-buildx,
    // which would add it (docs/decisions/0002-image-build.md)
    const { mocks } = await build();
    const img = mocks.one("docker-build:index:Image").inputs;
    assert.ok(!img.exec, "exec mode would bring buildx's default provenance attestation back");
    assert.equal(process.env.BUILDX_NO_DEFAULT_ATTESTATIONS, undefined);
  });

  describe("the build context hash", () => {
    it("follows .dockerignore, exceptions included", async () => {
      const tmp = await tempDir("context");
      try {
        await mkdir(join(tmp.dir, "node_modules", "x"), { recursive: true });
        await mkdir(join(tmp.dir, "src"), { recursive: true });
        await writeFile(join(tmp.dir, "node_modules", "x", "index.js"), "x");
        await writeFile(join(tmp.dir, "src", "a.ts"), "a");
        await writeFile(join(tmp.dir, "src", "b.test.ts"), "b");
        await writeFile(join(tmp.dir, "Dockerfile"), "FROM scratch\n");
        await writeFile(join(tmp.dir, "notes.md"), "n");
        await writeFile(join(tmp.dir, "README.md"), "r");
        await writeFile(
          join(tmp.dir, ".dockerignore"),
          "# comment\nnode_modules\n**/*.test.ts\n*.md\n!README.md\n",
        );
        assert.deepEqual(contextFiles(tmp.dir), [
          ".dockerignore",
          "Dockerfile",
          "README.md",
          "src/a.ts",
        ]);
      } finally {
        await tmp.remove();
      }
    });

    it("prefers <Dockerfile>.dockerignore to the context's .dockerignore, as Docker does", async () => {
      const tmp = await tempDir("context-ignore");
      try {
        await mkdir(join(tmp.dir, "docker"), { recursive: true });
        const dockerfile = join(tmp.dir, "docker", "serve.Dockerfile");
        await writeFile(dockerfile, "FROM scratch\n");
        await writeFile(join(tmp.dir, ".dockerignore"), "a.txt\n");
        await writeFile(`${dockerfile}.dockerignore`, "b.txt\n");
        await writeFile(join(tmp.dir, "a.txt"), "a");
        await writeFile(join(tmp.dir, "b.txt"), "b");
        const files = contextFiles(tmp.dir, dockerfile);
        assert.ok(files.includes("a.txt"));
        assert.ok(!files.includes("b.txt"));
      } finally {
        await tmp.remove();
      }
    });

    it("changes with a visible file or its permissions, not with an ignored one", async () => {
      const tmp = await tempDir("context-hash");
      try {
        const dockerfile = join(tmp.dir, "Dockerfile");
        await writeFile(dockerfile, "FROM scratch\n");
        await writeFile(join(tmp.dir, ".dockerignore"), "*.log\n");
        await writeFile(join(tmp.dir, "app.js"), "1");
        const first = hashBuildContext(tmp.dir, dockerfile);
        assert.equal(hashBuildContext(tmp.dir, dockerfile), first, "stable");
        await writeFile(join(tmp.dir, "debug.log"), "noise");
        assert.equal(hashBuildContext(tmp.dir, dockerfile), first, "ignored file");
        await writeFile(join(tmp.dir, "app.js"), "2");
        const second = hashBuildContext(tmp.dir, dockerfile);
        assert.notEqual(second, first, "visible file");
        await chmod(join(tmp.dir, "app.js"), 0o755);
        assert.notEqual(hashBuildContext(tmp.dir, dockerfile), second, "permissions");
        await chmod(join(tmp.dir, "app.js"), 0o644);
        assert.notEqual(hashBuildContext(tmp.dir, dockerfile, { BASE_IMAGE: "x" }), second);
        // settings are fields of their own: none of them reads as a build argument
        const settings = hashBuildContext(tmp.dir, dockerfile, {}, { platform: "linux/arm64" });
        assert.notEqual(settings, second);
        assert.notEqual(
          settings,
          hashBuildContext(tmp.dir, dockerfile, { platform: "linux/arm64" }),
        );
      } finally {
        await tmp.remove();
      }
    });
  });
});

/** The URL of the (auto-named) repository of a build. */
const repositoryUrl = (m: Recorder) =>
  m.one("aws:ecr/repository:Repository").state.repositoryUrl as string;

/** The image resource of a build. */
const mocks = (b: { mocks: Recorder }) => b.mocks.one("docker-build:index:Image");
