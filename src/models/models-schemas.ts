/** The shapes of the models API, for the OpenAPI document (the service builds plain objects). */
import { ApiProperty } from '@nestjs/swagger';

class RunningModelSchema {
  @ApiProperty({ example: 'line-3-2026-12' })
  name!: string;
  @ApiProperty({ description: 'A hash of model.json and its weights.' })
  modelId!: string;
  @ApiProperty({ example: 'wasm' })
  backend!: string;
  @ApiProperty({ type: [String] })
  labels!: string[];
  @ApiProperty({ type: [Number], example: [64, 64] })
  inputSize!: number[];
}

class RunningModelsSchema {
  @ApiProperty({ type: RunningModelSchema })
  active!: RunningModelSchema;
  @ApiProperty({ type: RunningModelSchema, nullable: true })
  shadow!: RunningModelSchema | null;
}

class ModelListingSchema {
  @ApiProperty()
  name!: string;
  @ApiProperty()
  active!: boolean;
  @ApiProperty()
  shadow!: boolean;
  @ApiProperty({ description: 'MODEL_DIR, outside MODELS_DIR.' })
  builtIn!: boolean;
  @ApiProperty({ type: [String], nullable: true })
  labels!: string[] | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  trainedAt!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'On the held-out images of its training.' })
  heldOutAccuracy!: number | null;
  @ApiProperty({ nullable: true, type: String, example: '/api/models/line-3-2026-12/report' })
  report!: string | null;
  @ApiProperty({ nullable: true, type: Object, description: 'Its metadata.json.' })
  metadata!: Record<string, unknown> | null;
}

class ActivationSchema {
  @ApiProperty()
  name!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Null: active before the first recorded activation.' })
  activatedAt!: string | null;
}

export class ModelsOverviewSchema {
  @ApiProperty({ nullable: true, type: String })
  active!: string | null;
  @ApiProperty({ nullable: true, type: String })
  shadow!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'What a rollback activates.' })
  previous!: string | null;
  @ApiProperty({ type: RunningModelsSchema, nullable: true, description: 'Null while the classifier is down.' })
  running!: RunningModelsSchema | null;
  @ApiProperty({ type: [ActivationSchema], description: 'Every activation, newest last.' })
  history!: ActivationSchema[];
  @ApiProperty({ type: [ModelListingSchema] })
  models!: ModelListingSchema[];
}

class ModelScoreSchema {
  @ApiProperty()
  model!: string;
  @ApiProperty()
  images!: number;
  @ApiProperty()
  reviewed!: number;
  @ApiProperty({ nullable: true, type: Number })
  accuracy!: number | null;
  @ApiProperty({
    description: "Per reviewer's label: images and the share the model found.",
    example: { good: { reviewed: 20, recall: 0.95 }, kink: { reviewed: 12, recall: 0.75 } },
  })
  recall!: Record<string, { reviewed: number; recall: number }>;
  @ApiProperty({ description: 'Reviewed as a defect, passed by the model.' })
  falsePasses!: number;
}

class PairComparisonSchema {
  @ApiProperty()
  active!: string;
  @ApiProperty()
  shadow!: string;
  @ApiProperty({ description: 'Images both classified.' })
  images!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Share of them given the same label.' })
  agreement!: number | null;
  @ApiProperty()
  reviewed!: number;
  @ApiProperty({ type: [ModelScoreSchema], description: "The active model's score, then the shadow's." })
  scores!: ModelScoreSchema[];
}

export class ModelComparisonSchema {
  @ApiProperty({ description: 'Images of the index looked at.' })
  images!: number;
  @ApiProperty({ type: [PairComparisonSchema], description: 'The pair running now first.' })
  pairs!: PairComparisonSchema[];
  @ApiProperty({ type: [ModelScoreSchema] })
  models!: ModelScoreSchema[];
}
