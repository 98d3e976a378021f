/**
 * Attribute names of the OpenTelemetry GenAI semantic conventions
 * (semantic-conventions-genai, latest release: `gen_ai.provider.name`
 * replaced `gen_ai.system`) and of the MCP conventions, spelled out here so
 * the hot path does not load the large incubating semconv module. Where the
 * conventions have nothing (WebSocket, sessions, memory, federation) the
 * `wundr.*` names are ours.
 */
export const ATTR = {
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  GEN_AI_PROVIDER_NAME: 'gen_ai.provider.name',
  GEN_AI_REQUEST_MODEL: 'gen_ai.request.model',
  GEN_AI_REQUEST_MAX_TOKENS: 'gen_ai.request.max_tokens',
  GEN_AI_RESPONSE_MODEL: 'gen_ai.response.model',
  GEN_AI_RESPONSE_ID: 'gen_ai.response.id',
  GEN_AI_RESPONSE_FINISH_REASONS: 'gen_ai.response.finish_reasons',
  GEN_AI_USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  GEN_AI_USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  GEN_AI_TOOL_NAME: 'gen_ai.tool.name',
  GEN_AI_TOOL_CALL_ID: 'gen_ai.tool.call.id',
  GEN_AI_TOOL_TYPE: 'gen_ai.tool.type',
  GEN_AI_AGENT_NAME: 'gen_ai.agent.name',
  GEN_AI_AGENT_ID: 'gen_ai.agent.id',
  GEN_AI_CONVERSATION_ID: 'gen_ai.conversation.id',
  MCP_METHOD_NAME: 'mcp.method.name',
  MCP_SESSION_ID: 'mcp.session.id',
  ERROR_TYPE: 'error.type',
  SERVER_ADDRESS: 'server.address',
  WUNDR_ORCHESTRATOR_ID: 'wundr.orchestrator.id',
  WUNDR_SESSION_ID: 'wundr.session.id',
  WUNDR_SESSION_TYPE: 'wundr.session.type',
  WUNDR_EXIT_REASON: 'wundr.session.exit_reason',
  WUNDR_COST_USD: 'wundr.llm.cost_usd',
  WUNDR_RATE_LIMITED: 'wundr.llm.rate_limited',
  WUNDR_WS_MESSAGE_TYPE: 'wundr.ws.message_type',
  WUNDR_WS_CONNECTION_ID: 'wundr.ws.connection_id',
  WUNDR_WS_MESSAGE_SIZE: 'wundr.ws.message_size_bytes',
  WUNDR_MCP_SERVER: 'wundr.mcp.server',
  WUNDR_MEMORY_TIER: 'wundr.memory.tier',
  WUNDR_MEMORY_OPERATION: 'wundr.memory.operation',
  WUNDR_FEDERATION_FROM: 'wundr.federation.from',
  WUNDR_FEDERATION_TO: 'wundr.federation.to',
  WUNDR_TASK_TYPE: 'wundr.task.type',
} as const;

/** `gen_ai.operation.name` values used here. */
export const GEN_AI_OPERATION = {
  CHAT: 'chat',
  EXECUTE_TOOL: 'execute_tool',
  INVOKE_AGENT: 'invoke_agent',
} as const;
