# Retest tasks carry the result that closed them and the control state of a positive pool's
# members (engineer `lab`, issue 4 item 5).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("testing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="retesttask",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[("negative", "阴性"), ("positive", "阳性"), ("invalid", "无效(需重采)")],
                default="",
                max_length=16,
                verbose_name="复核结果",
            ),
        ),
        migrations.AddField(
            model_name="retesttask",
            name="control",
            field=models.CharField(
                blank=True,
                choices=[
                    ("temporary", "临时管控"),
                    ("released", "已解除(复核阴性)"),
                    ("confirmed", "复核阳性"),
                ],
                default="",
                max_length=16,
                verbose_name="管控状态",
            ),
        ),
        migrations.AddIndex(
            model_name="retesttask",
            index=models.Index(fields=["control", "path"], name="retest_control_path"),
        ),
    ]
