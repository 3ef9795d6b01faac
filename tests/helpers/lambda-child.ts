/**
 * A fresh Lambda execution environment in a child process (started by lambda-environment.ts):
 * importing handlers/lambda.ts is the init phase, with the environment the parent gave; then
 * each message is an event, answered with the handler's result (or what it threw).
 */
import { handler } from "../../handlers/lambda.js";
import { lambdaContext } from "./events.js";

interface Invocation {
  id: number;
  event: Parameters<typeof handler>[0];
}

process.on("message", (message: Invocation) => {
  handler(message.event, lambdaContext()).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) => process.send?.({ id: message.id, thrown: String(error) }),
  );
});
// the parent disconnecting ends the environment (an idle keep-alive socket must not keep it up)
process.on("disconnect", () => process.exit(0));
process.send?.({ ready: true });
