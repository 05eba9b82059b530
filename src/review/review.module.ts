import { Module } from '@nestjs/common';
import { ClassificationModule } from '../classification/classification.module.js';
import { ResultsModule } from '../results/results.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { WebModule } from '../web/web.module.js';
import { ReviewPageController } from './review-page.controller.js';
import { ReviewController } from './review.controller.js';
import { ReviewService } from './review.service.js';

/** A person's review of the stored images: the queue, the labels, and the page at /review. */
@Module({
  imports: [ResultsModule, StorageModule, ClassificationModule, WebModule],
  controllers: [ReviewController, ReviewPageController],
  providers: [ReviewService],
})
export class ReviewModule {}
